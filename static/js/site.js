// Every page: the header's menu at phone width, the language choice applied on change, and the
// browser's time zone for the sign-up form. Without JavaScript the nav simply wraps, the language
// form has its button, and the server falls back to the default time zone.
(function () {
  "use strict";

  var header = document.getElementById("site-header");
  var toggle = document.getElementById("menu-toggle");
  var nav = document.getElementById("site-nav");
  if (header && toggle && nav) {
    header.classList.add("js-menu");
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        setOpen(false);
        toggle.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!header.contains(event.target)) {
        setOpen(false);
      }
    });
  }

  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.requestSubmit();
    });
  });

  document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
    input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  });
})();
