/*
 * Minyi page scripts. Loaded after htmx 2.0.11 (htmx.min.js beside this file, BSD-0 licence in
 * htmx.LICENSE.txt, vendored from the npm package htmx.org@2.0.11; no CDN).
 *
 * - htmx requests carry the CSRF token: base.html puts hx-headers='{"X-CSRFToken": ...}' on
 *   <body>, which every hx-get/hx-post inherits.
 * - A 422 answer (a form with errors, re-rendered by the view) is swapped like a 200, so a form
 *   posted with hx-post shows its per-field errors; other 4xx/5xx are not swapped.
 * - minyi.fetchJSON(url, options): fetch() for the JSON API with the session cookie and the
 *   X-CSRFToken header (required on API writes by sessions opened on the log-in page).
 * - A button with data-print opens the browser's print dialog.
 * - A form that came back with errors moves the focus to its summary at the top
 *   (.error-summary, role="alert"), on the page and after an htmx swap, so that keyboard and
 *   screen-reader users start from the list of what to correct.
 * - A form with data-forget-on-back, once sent from this tab, is emptied when its page is reached
 *   again with Back or Forward: the browser fills its boxes in again with what was typed (even on
 *   a page it may not store), and on a shared computer that is the previous citizen's name and
 *   phone (portal/submit.html). A form not sent yet keeps what was typed, as before.
 * - A list of checkboxes with data-filter-label (macros.checkbox_list: the co-units, some sixty)
 *   gets a search box so labelled, which narrows it to the boxes whose label holds the typed text;
 *   ticked boxes stay in sight, and Enter in the box does not send the form. Without scripts the
 *   list is all there, in its groups.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function fetchJSON(url, options) {
    options = options || {};
    var headers = new Headers(options.headers || {});
    headers.set("Accept", "application/json");
    headers.set("X-CSRFToken", csrfToken());
    if (options.body !== undefined && typeof options.body !== "string") {
      headers.set("Content-Type", "application/json");
      options.body = JSON.stringify(options.body);
    }
    options.headers = headers;
    options.credentials = "same-origin";
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        return { ok: response.ok, status: response.status, data: text ? JSON.parse(text) : null };
      });
    });
  }

  window.minyi = { csrfToken: csrfToken, fetchJSON: fetchJSON };

  // A button with data-print prints the page (the reply letter: centre/letter.html).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  function focusErrorSummary(root) {
    var summary = root && root.querySelector(".error-summary");
    if (summary) summary.focus();
  }

  focusErrorSummary(document);
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.detail && event.detail.target);
  });

  // Keyed by the page: a tab's sessionStorage outlives the pages it shows, not the tab.
  function forgetKey() {
    return "minyi.sent:" + location.pathname;
  }

  document.addEventListener("submit", function (event) {
    if (!event.target.matches || !event.target.matches("form[data-forget-on-back]")) return;
    try {
      sessionStorage.setItem(forgetKey(), "1");
    } catch (e) {
      // storage refused (a private window's quota): the form is then kept as the browser keeps it
    }
  });

  window.addEventListener("pageshow", function (event) {
    var entries = performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    var traversed = event.persisted || (entries[0] && entries[0].type === "back_forward");
    var sent = false;
    try {
      sent = sessionStorage.getItem(forgetKey()) !== null;
      sessionStorage.removeItem(forgetKey());
    } catch (e) {
      sent = false;
    }
    if (!traversed || !sent) return;
    document.querySelectorAll("form[data-forget-on-back]").forEach(function (form) {
      form.reset();
    });
  });

  function addFilter(list) {
    if (list.querySelector(".checkbox-filter")) return;
    var box = document.createElement("div");
    box.className = "checkbox-filter";
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "search";
    input.id = list.id + "-filter";
    input.autocomplete = "off";
    label.htmlFor = input.id;
    label.textContent = list.getAttribute("data-filter-label");
    // How many units the typed text leaves, read out as it changes (a screen reader hears it).
    var status = document.createElement("p");
    status.className = "hint";
    status.id = list.id + "-filter-status";
    status.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", status.id);
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    list.insertBefore(box, list.querySelector(".checkbox-group"));
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    input.addEventListener("input", function () {
      var typed = input.value.trim().toLowerCase();
      var matching = 0;
      list.querySelectorAll(".checkbox-group").forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("label").forEach(function (option) {
          var box = option.querySelector("input");
          // By name or by code (GXQ-CGJ), in any case.
          var found = (option.textContent + " " + box.value).toLowerCase().indexOf(typed) !== -1;
          var match = !typed || box.checked || found;
          option.hidden = !match;
          if (match) shown += 1;
          if (typed && found) matching += 1;
        });
        group.hidden = shown === 0;
      });
      if (!typed) status.textContent = "";
      else if (matching) status.textContent = list.getAttribute("data-filter-count").replace("{count}", matching);
      else status.textContent = list.getAttribute("data-filter-none");
    });
  }

  document.querySelectorAll(".checkbox-list[data-filter-label]").forEach(addFilter);

  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
  }
})();
