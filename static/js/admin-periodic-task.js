// Admin's periodic task form: picking a crontab shows it in words under the field. django-celery-beat does
// this in an inline script, which the Content-Security-Policy forbids, so it lives here
// (templates/admin/djcelery/change_periodictask_form.html loads it).
(function () {
  "use strict";
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  if (!data || !select) {
    return;
  }
  var readable = JSON.parse(data.textContent);
  var translationRow = document.querySelector(".field-crontab_translation");
  if (translationRow) {
    translationRow.style.display = "none"; // the same text appears under the field as soon as one is picked
  }
  var line = document.createElement("div");
  line.className = "crontab-in-words";
  var help = document.querySelector(".field-crontab .help");
  (help || select.parentNode).appendChild(line);
  select.addEventListener("change", function () {
    var words = readable[select.value];
    line.textContent = words ? "Translation: " + words : "";
  });
})();
