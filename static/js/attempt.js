// Taking an exam, made better with JavaScript (the pages work without it).
// Exam mode: each answer and flag is saved as soon as it changes (the final submit sends them all
// anyway), the question list shows what is answered and flagged, and the countdown submits the
// answers when the time is up. Practice mode: a flag is saved at once.
// A refusal (the time limit is over, the attempt is finished) is shown with a link to the result.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, fields) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  var form = document.getElementById("exam-form");
  var alertBox = document.getElementById("attempt-alert");

  function refuse(data, resultLabel) {
    if (!alertBox) return;
    alertBox.textContent = "";
    var message = document.createElement("p");
    message.className = "error";
    message.textContent = data.error || "";
    alertBox.appendChild(message);
    if (data.result_url) {
      var link = document.createElement("a");
      link.href = data.result_url;
      link.textContent = resultLabel;
      link.className = "button";
      alertBox.appendChild(link);
      if (form) form.querySelectorAll("input, button").forEach(function (input) { input.disabled = true; });
      stopCountdown();
    }
  }

  // --- Practice: the flag checkbox and the flag button of a question's feedback.
  document.querySelectorAll("input[data-flag-url]").forEach(function (box) {
    box.addEventListener("change", function () {
      post(box.dataset.flagUrl, [["question", box.dataset.question], ["flagged", box.checked ? "1" : "0"]]);
    });
  });
  document.querySelectorAll("form[data-flag-toggle]").forEach(function (toggle) {
    toggle.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = toggle.querySelector("input[name=flagged]");
      var button = toggle.querySelector("button");
      post(toggle.action, [["question", toggle.querySelector("input[name=question]").value], ["flagged", value.value]])
        .then(function (reply) {
          if (!reply.ok) return;
          button.setAttribute("aria-pressed", reply.data.flagged ? "true" : "false");
          value.value = reply.data.flagged ? "0" : "1";
        });
    });
  });

  // --- Exam mode.
  var countdown = document.getElementById("countdown");
  var ticking = null;
  function stopCountdown() {
    if (ticking !== null) window.clearInterval(ticking);
    ticking = null;
  }
  if (!form) return;

  var text = form.dataset;
  var pending = {}; // question id -> the save in flight, so saves of one question arrive in order

  function navLink(question) {
    return document.querySelector('.question-nav a[data-nav="' + question + '"]');
  }

  function refreshNav(fieldset) {
    var question = fieldset.dataset.question;
    var answered = fieldset.querySelector(".choice-list input:checked") !== null;
    var flagged = fieldset.querySelector("input[name=flagged]").checked;
    var link = navLink(question);
    if (link) {
      link.classList.toggle("answered", answered);
      link.classList.toggle("flagged", flagged);
      link.querySelector(".state").textContent =
        (answered ? text.answeredText : text.unansweredText) + (flagged ? ", " + text.flaggedText : "");
    }
    var count = document.getElementById("answered-count");
    if (count) {
      var sets = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
      var done = sets.filter(function (set) { return set.querySelector(".choice-list input:checked") !== null; });
      count.textContent = text.countTemplate.replace("{answered}", done.length).replace("{total}", sets.length);
    }
  }

  function save(fieldset, fields, url) {
    var question = fieldset.dataset.question;
    var status = fieldset.querySelector(".save-status");
    var previous = pending[question] || Promise.resolve();
    pending[question] = previous.then(function () {
      return post(url, [["question", question]].concat(fields())).then(function (reply) {
        if (reply.ok) {
          status.textContent = text.saved;
        } else if (reply.status === 409) {
          status.textContent = "";
          refuse(reply.data, text.resultLink);
        } else {
          status.textContent = reply.data.error || text.notSaved;
        }
      }, function () {
        status.textContent = text.notSaved;
      });
    });
  }

  form.querySelectorAll("fieldset.question").forEach(function (fieldset) {
    fieldset.addEventListener("change", function (event) {
      var input = event.target;
      refreshNav(fieldset);
      if (input.name === "flagged") {
        save(fieldset, function () { return [["flagged", input.checked ? "1" : "0"]]; }, text.flagUrl);
        return;
      }
      var ticked = fieldset.querySelectorAll(".choice-list input:checked");
      if (ticked.length === 0) return; // nothing to save: an answer is at least one choice
      save(fieldset, function () {
        return Array.prototype.map.call(
          fieldset.querySelectorAll(".choice-list input:checked"), function (box) { return ["answer", box.value]; });
      }, text.answerUrl);
    });
  });

  // The countdown starts from the seconds the server counted, so the learner's clock does not matter.
  if (countdown) {
    var end = performance.now() + Number(countdown.dataset.secondsLeft) * 1000;
    var submitted = false;
    var show = function () {
      // Rounded up, and the answers sent only once the full time has passed: never before the deadline.
      var remaining = end - performance.now();
      var left = Math.max(0, Math.ceil(remaining / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      var hours = Math.floor(minutes / 60);
      countdown.textContent = hours
        ? hours + ":" + String(minutes % 60).padStart(2, "0") + ":" + String(seconds).padStart(2, "0")
        : minutes + ":" + String(seconds).padStart(2, "0");
      if (remaining <= 0 && !submitted) {
        submitted = true;
        stopCountdown();
        if (alertBox) alertBox.textContent = text.timeUp;
        form.requestSubmit();
      }
    };
    show();
    if (!submitted) ticking = window.setInterval(show, 250);
  }
})();
