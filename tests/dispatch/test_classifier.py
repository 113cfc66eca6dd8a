import json
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.classifier import MIN_SAMPLES, TextClassifier, train

# Per category: what the caller complains about, and what is wrong with it.
SUBJECTS = {
    "garbage": (
        ["垃圾", "垃圾桶", "生活垃圾", "垃圾站", "垃圾池"],
        ["没人清运", "堆积如山", "满了没人倒", "臭气熏天"],
    ),
    "wages": (
        ["工资", "工钱", "劳务费", "薪水", "血汗钱"],
        ["拖欠三个月", "一直不发", "被老板克扣", "讨不回来"],
    ),
    "noise": (
        ["噪音", "广场舞音响", "施工噪声", "装修声音", "KTV"],
        ["吵得睡不着", "半夜还在响", "影响休息", "扰民"],
    ),
    "water": (
        ["自来水", "水管", "水压", "供水", "水表"],
        ["发黄浑浊", "爆裂漏水", "好几天停了", "太低上不了楼"],
    ),
    "road": (["路灯", "路面", "井盖", "人行道", "减速带"], ["坏了不亮", "坑坑洼洼", "丢失很危险", "塌陷"]),
}
# Shared by every category, so the classifier must learn from the subjects.
PLACES = ["我家小区", "梅林镇城东社区", "村口", "学校旁边", "菜市场附近", "光明路", "王母渡镇上"]
TIMES = ["最近", "这几天", "一个多月了", "从上周开始", "今天早上"]
ENDINGS = ["希望尽快处理", "请相关部门管一管", "多次反映没人管", "谢谢", "麻烦派人来看看"]
TEMPLATES = [
    "{place}{time}{subject}{problem}，{ending}",
    "{time}{place}的{subject}{problem}，{ending}",
    "反映一下，{place}{subject}{problem}",
    "{subject}{problem}，{place}，{time}，{ending}",
]


def generate(per_class, seed=7, classes=SUBJECTS):
    rng = random.Random(seed)
    texts, labels = [], []
    for label in classes:
        subjects, problems = SUBJECTS[label]
        for _ in range(per_class):
            texts.append(
                rng.choice(TEMPLATES).format(
                    place=rng.choice(PLACES),
                    time=rng.choice(TIMES),
                    subject=rng.choice(subjects),
                    problem=rng.choice(problems),
                    ending=rng.choice(ENDINGS),
                )
            )
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def trained():
    texts, labels = generate(per_class=60)
    return train(texts, labels, seed=0)


def test_training_reaches_a_high_held_out_accuracy(trained):
    assert trained.accuracy >= 0.8
    assert trained.top3_accuracy >= trained.accuracy
    assert (trained.n_train, trained.n_test) == (240, 60)
    assert trained.n_classes == 5
    assert trained.class_counts == dict.fromkeys(SUBJECTS, 60)
    assert trained.stratified
    assert set(trained.model.labels) == set(SUBJECTS)


def test_predict_top_ranks_three_labels(trained):
    top = trained.model.predict_top("小区楼下的垃圾桶满了一个星期没人清运")

    assert len(top) == 3
    assert top[0][0] == "garbage"
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)
    assert sum(probabilities) <= 1 + 1e-9
    assert len({label for label, _ in top}) == 3


def test_predict_top_on_unseen_wording(trained):
    model = trained.model

    assert model.predict_top("老板拖欠我们工钱半年了")[0][0] == "wages"
    assert model.predict_top("隔壁装修太吵")[0][0] == "noise"
    assert model.predict_top("井盖不见了")[0][0] == "road"


def test_predict_top_k(trained):
    model = trained.model

    assert len(model.predict_top("水管爆了", k=1)) == 1
    assert len(model.predict_top("水管爆了", k=10)) == 5  # no more than there are labels
    assert model.predict_top("水管爆了", k=0) == []


def test_round_trip_through_bytes_predicts_the_same(trained):
    data = trained.model.to_bytes()
    loaded = TextClassifier.from_bytes(data)

    assert isinstance(data, bytes)
    assert loaded.labels == trained.model.labels
    for text in ["垃圾没人清运", "工资拖欠", "半夜广场舞", "停水三天", "路灯不亮", "你好"]:
        assert loaded.predict_top(text) == trained.model.predict_top(text)


def test_a_model_loads_and_predicts_in_a_process_that_never_imported_scikit_learn(trained, tmp_path):
    """A web or RQ worker starts without scikit-learn and loads it with the first trained model."""
    model_file = tmp_path / "model.bin"
    model_file.write_bytes(trained.model.to_bytes())
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from dispatch.classifier import TextClassifier\n"
        "before = 'sklearn' in sys.modules\n"
        f"model = TextClassifier.from_bytes(Path({str(model_file)!r}).read_bytes())\n"
        "print(json.dumps([before, model.predict_top('半夜广场舞吵得睡不着')]))\n"
    )

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    imported_before, predicted = json.loads(out)

    assert imported_before is False
    expected = trained.model.predict_top("半夜广场舞吵得睡不着")
    assert [label for label, _ in predicted] == [label for label, _ in expected]
    assert [p for _, p in predicted] == pytest.approx([p for _, p in expected])
    assert predicted[0][0] == "noise"


def test_from_bytes_refuses_other_payloads():
    with pytest.raises(ValueError, match="retrain"):
        TextClassifier.from_bytes(pickle.dumps({"format": 999}))
    with pytest.raises(ValueError, match="retrain"):
        TextClassifier.from_bytes(pickle.dumps(["not", "a", "model"]))


@pytest.mark.parametrize(
    ("per_class", "classes"),
    [
        (4, SUBJECTS),  # 20 appeals in 5 categories: too few appeals
        (MIN_SAMPLES * 2, ["garbage"]),  # 100 appeals in a single category
    ],
)
def test_too_little_data_is_refused(per_class, classes):
    texts, labels = generate(per_class=per_class, classes=classes)

    with pytest.raises(ValueError, match="need at least 50 dispatched appeals in at least 2 categories"):
        train(texts, labels)


def test_a_category_with_a_single_appeal_trains_without_stratifying():
    texts, labels = generate(per_class=30, classes=["garbage", "wages"])
    texts.append("路灯坏了不亮")
    labels.append("road")

    result = train(texts, labels, test_size=0.2, seed=1)

    assert not result.stratified
    assert result.n_classes == 3
    assert result.n_train + result.n_test == 61
    assert result.model.predict_top("垃圾堆积如山")[0][0] == "garbage"


def test_texts_and_labels_must_pair_up():
    texts, labels = generate(per_class=30)

    with pytest.raises(ValueError, match="labels"):
        train(texts, labels[:-1])
