// The SMS box's live counter and placeholder buttons (the 360 page's "Send an SMS" panel).
//
// Counts as marketing/text.py sms_length does, with the alphabets, sizes and words the page
// gives in #sms-counter-config (SmsForm.counter_config): GSM-7 when every character is in
// the GSM alphabet (its extension characters take two), 160 per SMS, 153 per part of a
// longer one; otherwise UCS-2, in UTF-16 code units (an emoji takes two), 70 and 67.
// A marketing SMS ends with its opt-out link: config.suffix (added to the text before
// counting) and config.suffix_note (said after the count); both empty otherwise.
(function () {
  "use strict";

  function smsLength(text, config) {
    var basic = config.basic, extended = config.extended, gsm = true, units = 0, encoding;
    for (var ch of text) {  // by code point, as Python iterates a str
      if (extended.indexOf(ch) !== -1) { units += 2; }
      else if (basic.indexOf(ch) !== -1) { units += 1; }
      else { gsm = false; break; }
    }
    if (gsm) { encoding = "GSM-7"; }
    else { encoding = "UCS-2"; units = text.length; }  // a JS string is UTF-16 code units
    var sizes = config.parts[encoding], single = sizes[0], part = sizes[1];
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / part));
    return {encoding: encoding, units: units, segments: segments};
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function counterText(length, config) {
    var parts = [format(config.chars[length.units === 1 ? 0 : 1], {count: length.units}),
                 format(config.segments, {count: length.segments})];
    if (length.encoding === "UCS-2" && length.units) {
      var sizes = config.parts["UCS-2"];
      parts.push(format(config.ucs2, {single: sizes[0], part: sizes[1]}));
    }
    if (config.suffix_note) { parts.push(config.suffix_note); }
    return parts.join(" · ");
  }

  function insertAt(textarea, token) {
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    if (typeof start !== "number") { start = end = value.length; }
    var maxLength = textarea.maxLength > 0 ? textarea.maxLength : Infinity;
    if (value.length - (end - start) + token.length > maxLength) { return; }
    textarea.value = value.slice(0, start) + token + value.slice(end);
    textarea.focus();
    textarea.setSelectionRange(start + token.length, start + token.length);
    textarea.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function init() {
    var configElement = document.getElementById("sms-counter-config");
    if (!configElement) { return; }
    var config = JSON.parse(configElement.textContent);
    document.querySelectorAll("[data-sms-counter-for]").forEach(function (counter) {
      var textarea = document.getElementById(counter.getAttribute("data-sms-counter-for"));
      if (!textarea) { return; }
      var update = function () {
        var length = smsLength(textarea.value + (config.suffix || ""), config);
        counter.textContent = counterText(length, config);
        counter.setAttribute("data-units", length.units);
        counter.setAttribute("data-segments", length.segments);
        counter.setAttribute("data-encoding", length.encoding);
      };
      textarea.addEventListener("input", update);
      update();  // a value the browser restored (back button) counts at once
    });
    document.querySelectorAll("[data-sms-insert]").forEach(function (button) {
      button.addEventListener("click", function () {
        var textarea = document.getElementById(button.getAttribute("data-sms-target"));
        if (textarea) { insertAt(textarea, button.getAttribute("data-sms-insert")); }
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
