// Live notifications: the bell listens to the server's event stream and updates without a reload.
// EventSource reconnects by itself and sends Last-Event-ID, so the server replays what was missed.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  if (!bell || !window.EventSource) {
    return;
  }
  var count = document.getElementById("bell-count");
  var list = document.getElementById("bell-list");
  var source = new EventSource(bell.dataset.stream);
  source.addEventListener("open", function () {
    bell.dataset.live = "on";
  });
  source.addEventListener("error", function () {
    bell.dataset.live = "off"; // the browser retries by itself
  });
  source.addEventListener("notification", function (event) {
    var note = JSON.parse(event.data);
    var item = document.createElement("li");
    item.className = "unread level-" + note.level;
    item.dataset.id = note.id;
    var link = document.createElement("a");
    link.href = note.link || "#";
    link.textContent = note.title;
    item.appendChild(link);
    var empty = list.querySelector(".empty");
    if (empty) {
      empty.remove();
    }
    list.insertBefore(item, list.firstChild);
    count.textContent = String(Number(count.textContent || "0") + 1);
    count.hidden = false;
  });
})();
