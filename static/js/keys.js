// Keyboard answering: 1-9 pick a choice of a [data-choice-keys] form (Enter submits, as in any
// form), 1-4 press the rating buttons of a [data-rating-keys] form. [data-timed] forms send the
// milliseconds from page load to submit as duration_ms.
(function () {
  "use strict";
  var shown = performance.now();

  function typing(event) {
    var target = event.target;
    return event.ctrlKey || event.metaKey || event.altKey ||
      (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
        (target.tagName === "INPUT" && !/^(radio|checkbox)$/.test(target.type))));
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || !/^[1-9]$/.test(event.key)) return;
    var number = Number(event.key);
    var ratings = document.querySelector("[data-rating-keys]");
    if (ratings) {
      var button = ratings.querySelector('button[data-key="' + number + '"]');
      if (button) { event.preventDefault(); button.click(); }
      return;
    }
    var form = document.querySelector("[data-choice-keys]");
    if (!form) return;
    var input = form.querySelectorAll("input[type=radio], input[type=checkbox]")[number - 1];
    if (!input) return;
    event.preventDefault();
    input.checked = input.type === "radio" ? true : !input.checked;
    input.focus();
  });

  document.querySelectorAll("form[data-timed]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var field = form.querySelector('input[name="duration_ms"]');
      if (field) field.value = String(Math.round(performance.now() - shown));
    });
  });
})();
