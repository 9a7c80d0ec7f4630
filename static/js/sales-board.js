// The pipeline board (templates/sales/opportunity_board.html): drag a card to another
// column, with the mouse or a finger (SortableJS, vendored: static/vendor/sortablejs); the
// move is posted with htmx's conventions (HX-Request) and the server's answer replaces the
// card. A move the server refuses (422, a message) puts the card back.
(function () {
  "use strict";
  var board = document.getElementById("sales-board");
  if (!board || !board.dataset.canMove) return;
  var errorBox = document.getElementById("board-error");
  var lostPrompt = (document.getElementById("board-lost-prompt") || {}).textContent || "Reason?";
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";

  function showError(text) {
    errorBox.textContent = text;
    errorBox.classList.remove("d-none");
  }

  // Column totals after a move, written the way the page writes them ("Rp 285 jt" / "Rp 285M").
  var compact = new Intl.NumberFormat(document.documentElement.lang || undefined,
                                      {notation: "compact", maximumFractionDigits: 2});

  function shift(column, count, amount) {
    var n = column.querySelector(".column-count");
    var total = column.querySelector(".column-total");
    if (n) n.textContent = String(parseInt(n.textContent, 10) + count);
    if (total) {
      var value = parseFloat(total.dataset.total || "0") + amount;
      total.dataset.total = String(value);
      total.textContent = "Rp " + compact.format(value);
    }
  }

  function snapBack(card, from, next) {
    from.insertBefore(card, next && next.parentNode === from ? next : null);
  }

  function moved(card, from, next, target) {
    var column = target.closest(".sales-column");
    var reason = "";
    if (column.dataset.lost) {
      reason = window.prompt(lostPrompt) || "";
      if (!reason) {
        snapBack(card, from, next);
        return;
      }
    }
    target.insertBefore(card, target.firstChild);
    errorBox.classList.add("d-none");
    var body = new URLSearchParams({stage: target.dataset.stage, reason: reason});
    fetch(card.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
    }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) {
          snapBack(card, from, next);
          showError(response.status === 422 ? text : errorBox.dataset.generic);
          return;
        }
        var amount = parseFloat(card.dataset.amount || "0");
        card.outerHTML = text;
        shift(from.closest(".sales-column"), -1, -amount);
        shift(column, 1, amount);
      });
    }).catch(function () {
      snapBack(card, from, next);
      showError(errorBox.dataset.generic);
    });
  }

  // One Sortable per column, all in one group: cards move between columns, not within one
  // (the order inside a column is the server's). A press-and-hold of 150 ms starts a drag on
  // a touch screen, so a finger can still scroll the board sideways.
  var origin = null;
  board.querySelectorAll(".sales-cards").forEach(function (list) {
    new window.Sortable(list, {
      group: "sales-board", sort: false, draggable: ".sales-card", animation: 120,
      delay: 150, delayOnTouchOnly: true, ghostClass: "dragging",
      onStart: function (e) { origin = e.item.nextElementSibling; },
      onEnd: function (e) {
        if (e.to === e.from) return;
        moved(e.item, e.from, origin, e.to);
      }
    });
  });
})();

