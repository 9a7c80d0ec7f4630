// Day-first date boxes (crm/forms.py DateInput, DateTimeInput): digits typed on a phone's
// number pad, which may have no "/", are written back as the server reads them once the
// box is left: "23112026" → "23/11/2026", "231120261405" → "23/11/2026 14.05". Anything
// else is left as typed; the server parses every form it accepts and says what is wrong.
(function () {
  "use strict";

  function tidy(input) {
    var digits = input.value.replace(/\s+/g, "");
    if (!/^\d+$/.test(digits)) { return; }
    var date = digits.length >= 8 ? digits.slice(0, 2) + "/" + digits.slice(2, 4) + "/" + digits.slice(4, 8) : null;
    if (input.dataset.dateInput === "date" && digits.length === 8) {
      input.value = date;
    } else if (input.dataset.dateInput === "datetime" && digits.length === 12) {
      input.value = date + " " + digits.slice(8, 10) + "." + digits.slice(10, 12);
    }
  }

  document.addEventListener("focusout", function (event) {
    var target = event.target;
    if (target && target.dataset && target.dataset.dateInput) { tidy(target); }
  });
})();
