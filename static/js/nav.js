// Behaviour shared by every staff page (loaded by base.html): no inline script or on*=""
// handler is allowed by the Content-Security-Policy, so it lives here.
(function () {
  "use strict";

  // The phone's search button opens the folded menu and puts the cursor in the search box.
  function searchToggle() {
    var toggle = document.getElementById("nav-search-toggle"), menu = document.getElementById("mainnav");
    var input = document.getElementById("nav-q");
    if (!toggle || !menu || !input || !window.bootstrap) return;
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      if (menu.classList.contains("show")) { input.focus(); return; }
      menu.addEventListener("shown.bs.collapse", function () { input.focus(); }, {once: true});
      bootstrap.Collapse.getOrCreateInstance(menu).show();
    });
  }

  searchToggle();
})();
