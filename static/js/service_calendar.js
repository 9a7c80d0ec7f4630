// The workshop's day board (templates/service/day.html) and week (week.html): drag a booked
// visit to another cell: a start time in a bay, or (week) a day in a bay, at the same time. The move is posted to the booking's drop URL; the database's
// exclusion constraint decides. 200: the page reloads with the visit in its new place (and
// the flash message); 409 "that slot was just taken" or 400 a time the rules refuse: the
// message is shown and the visit stays where it was.
(function () {
  "use strict";
  var board = document.getElementById("day-board") || document.getElementById("week");
  if (!board) return;
  var box = document.getElementById("board-message");
  var csrf = (document.querySelector("#board-csrf input[name=csrfmiddlewaretoken]") || {}).value || "";
  var dragged = null;

  function showError(text) {
    box.textContent = text || box.dataset.generic;
    box.classList.remove("d-none");
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest(".board-booking[data-move-url]");
    if (!card) return;
    dragged = card;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.booking);
    card.classList.add("opacity-50");
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("opacity-50");
    board.querySelectorAll(".table-primary").forEach(function (cell) { cell.classList.remove("table-primary"); });
  });

  board.addEventListener("dragover", function (e) {
    var cell = e.target.closest("td[data-starts-at], td[data-day]");
    if (!dragged || !cell) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".table-primary").forEach(function (c) { if (c !== cell) c.classList.remove("table-primary"); });
    cell.classList.add("table-primary");
  });

  board.addEventListener("drop", function (e) {
    var cell = e.target.closest("td[data-starts-at], td[data-day]");
    if (!dragged || !cell) return;
    e.preventDefault();
    var card = dragged;
    dragged = null;
    card.classList.remove("opacity-50");
    box.classList.add("d-none");
    var body = new URLSearchParams({bay_id: cell.dataset.bayId});
    if (cell.dataset.startsAt) body.set("starts_at", cell.dataset.startsAt);
    else body.set("day", cell.dataset.day);
    fetch(card.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded"}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          window.location.reload();
          return;
        }
        showError(data.error);
      });
    }).catch(function () { showError(); });
  });
})();
