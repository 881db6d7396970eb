// Live notifications: the bell, and the notifications page when it is open, listen to the server's
// event stream and update without a reload. EventSource reconnects by itself and sends
// Last-Event-ID, so the server replays what was missed.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  if (!bell || !window.EventSource) {
    return;
  }
  var badge = document.getElementById("bell-badge");
  var count = document.getElementById("bell-count");
  var bellList = document.getElementById("bell-list");
  var pageList = document.getElementById("notification-list");

  function link(note) {
    var anchor = document.createElement("a");
    anchor.href = note.link || "#";
    anchor.textContent = note.title;
    return anchor;
  }

  function prepend(list, item) {
    var empty = list.querySelector(".empty");
    if (empty) {
      empty.remove();
    }
    list.insertBefore(item, list.firstChild);
  }

  function addToBell(note) {
    var item = document.createElement("li");
    item.className = "unread level-" + note.level;
    item.dataset.id = note.id;
    item.appendChild(link(note));
    prepend(bellList, item);
    count.textContent = String(Number(count.textContent || "0") + 1);
    badge.hidden = false;
  }

  // The same row as the server renders in notifications/list.html, its "Mark read" form included.
  function addToPage(note) {
    var item = document.createElement("li");
    item.className = "notification unread level-" + note.level;
    item.dataset.id = note.id;
    var text = document.createElement("div");
    text.className = "notification-text";
    var title = document.createElement("p");
    title.className = "notification-title";
    title.appendChild(note.link ? link(note) : document.createTextNode(note.title));
    text.appendChild(title);
    if (note.body) {
      var body = document.createElement("p");
      body.textContent = note.body;
      text.appendChild(body);
    }
    var when = document.createElement("time");
    when.className = "meta";
    when.dateTime = note.created;
    when.title = new Date(note.created).toLocaleString(document.documentElement.lang);
    when.textContent = new Intl.RelativeTimeFormat(document.documentElement.lang, { numeric: "auto" }).format(0, "second");
    text.appendChild(when);
    item.appendChild(text);
    var form = document.createElement("form");
    form.method = "post";
    form.action = pageList.dataset.readUrl.replace("/0/", "/" + note.id + "/");
    form.appendChild(document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode());
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "button secondary small";
    button.textContent = pageList.dataset.markRead;
    form.appendChild(button);
    item.appendChild(form);
    prepend(pageList, item);
  }

  var source = new EventSource(bell.dataset.stream);
  source.addEventListener("open", function () {
    bell.dataset.live = "on";
  });
  source.addEventListener("error", function () {
    bell.dataset.live = "off"; // the browser retries by itself
  });
  source.addEventListener("notification", function (event) {
    var note = JSON.parse(event.data);
    addToBell(note);
    if (pageList) {
      addToPage(note);
    }
  });
})();
