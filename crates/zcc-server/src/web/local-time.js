// Times in the reader's own time zone. The pages are written in UTC; this rewrites each
// <time datetime="..."> in local time with its UTC offset and keeps the UTC time in its title,
// shown on hover. Without the script (or with it blocked) the pages show UTC, as written.
(function () {
  "use strict";
  function pad(n, width) {
    return String(n).padStart(width || 2, "0");
  }
  function local(d) {
    var minutes = -d.getTimezoneOffset();
    var sign = minutes >= 0 ? "+" : "-";
    minutes = Math.abs(minutes);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
      pad(d.getMilliseconds(), 3) + " " + sign + pad(Math.floor(minutes / 60)) + ":" +
      pad(minutes % 60);
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) {
      return;
    }
    el.title = el.textContent.trim() + " UTC";
    el.textContent = local(d);
    el.classList.add("local");
  });
})();
