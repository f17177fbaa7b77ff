// Searchable checkbox lists (companies, observers): filter what is shown, tick or clear all shown.
// Without JavaScript the full list works as it is.
document.querySelectorAll("[data-pick]").forEach(function (pick) {
  var tools = pick.querySelector("[data-pick-tools]");
  var search = pick.querySelector("[data-pick-search]");
  var count = pick.querySelector("[data-pick-count]");
  var items = Array.prototype.slice.call(pick.querySelectorAll("[data-pick-item]"));
  var box = function (item) { return item.querySelector("input"); };
  var shown = function () { return items.filter(function (item) { return !item.hidden; }); };
  var update = function () {
    var chosen = items.filter(function (item) { return box(item).checked; }).length;
    count.textContent = count.dataset.label + " " + chosen + " / " + items.length;
  };
  tools.hidden = false;
  search.addEventListener("input", function () {
    var query = search.value.trim().toLowerCase();
    items.forEach(function (item) {
      item.hidden = query !== "" && item.textContent.toLowerCase().indexOf(query) === -1;
    });
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }  // do not submit the whole form
  });
  pick.querySelector("[data-pick-all]").addEventListener("click", function () {
    shown().forEach(function (item) { box(item).checked = true; });
    update();
  });
  pick.querySelector("[data-pick-none]").addEventListener("click", function () {
    shown().forEach(function (item) { box(item).checked = false; });
    update();
  });
  pick.addEventListener("change", update);
  update();
});
