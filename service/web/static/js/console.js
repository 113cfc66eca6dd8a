/*
 * Operator console (templates/console/index.html). No inline scripts: behaviour hangs on data-*
 * attributes of the server-rendered fragments.
 * - [data-set="<field id>"][data-value]: a click puts the value into that field (a suggested or
 *   searched category into the category select) and fires "change" (the duplicate check listens).
 * - [data-kb][data-answer]: a click copies a knowledge-base article into the answer and records
 *   the article used (kb_article).
 * - A form is submitted once: a second click while the first post is on its way does nothing.
 */
(function () {
  "use strict";

  function setField(id, value) {
    var el = document.getElementById(id);
    if (!el) return null;
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
    return el;
  }

  document.addEventListener("click", function (event) {
    var picker = event.target.closest("[data-set]");
    if (picker) {
      var field = setField(picker.getAttribute("data-set"), picker.getAttribute("data-value"));
      if (field) {
        picker.setAttribute("aria-pressed", "true");
        field.focus();
      }
      return;
    }
    var article = event.target.closest("[data-kb]");
    if (article) {
      setField("f-answer", article.getAttribute("data-answer"));
      setField("f-kb-article", article.getAttribute("data-kb"));
      var chosen = document.getElementById("kb-chosen");
      if (chosen) chosen.textContent = "✓ " + article.getAttribute("data-kb-title");
      document.getElementById("f-answer").focus();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = event.submitter ? event.submitter.value : "";
    if (action === "check") return;
    if (form.getAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "true");
  });
})();
