// Live progress of a match run: poll its status until it finishes, then reload the page.
(function () {
  var box = document.getElementById("run-status");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-url");
  function set(name, value) {
    var el = document.querySelector('#run-progress [data-field="' + name + '"]');
    if (el && value !== null && value !== undefined) { el.textContent = value; }
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        set("label", data.label);
        set("elapsed", data.elapsed === null ? 0 : Math.round(data.elapsed));
        set("best", data.best);
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
