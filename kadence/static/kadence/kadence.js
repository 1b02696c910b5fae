// Behaviour every page shares. Kept out of the HTML so that the Content-Security-Policy can forbid inline
// script (script-src 'self'): no <script> blocks, no on* attributes.
(function () {
  // Filter forms submitted by htmx: leave empty fields out of the pushed URL (?status=open, not ?q=&status=open&…).
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get" || !event.detail.formData) return;
    var empty = [];
    event.detail.formData.forEach(function (value, key) { if (value === "") empty.push(key); });
    empty.forEach(function (key) { event.detail.formData.delete(key); });
  });

  // <select data-autosubmit>: submit its form on change (the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // <form data-confirm="question">: ask before submitting (deleting something).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
})();
