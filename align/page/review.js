
(function () {
  "use strict";
  var audio = document.getElementById("player");
  var trackEl = document.getElementById("captions");
  var timeline = document.getElementById("timeline");
  var playhead = document.getElementById("playhead");
  var captionBox = document.getElementById("caption");
  var follow = document.getElementById("follow");
  var bar = document.querySelector("header.bar");
  var HOLD = 1.0; // seconds a word stays highlighted after its end, through a short pause

  // every spoken word and every unscripted stretch, sorted by start, for a binary search on the time
  var items = Array.prototype.slice.call(
    document.querySelectorAll("#transcript .w[data-start], #transcript .unscripted"));
  items = items.map(function (el, k) {
    return {el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end), k: k};
  }).sort(function (a, b) { return a.start - b.start || a.k - b.k; });
  var starts = items.map(function (it) { return it.start; });
  var current = null;

  function find(t) { // the last item that starts at or before t, or -1
    var lo = 0, hi = starts.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (starts[mid] <= t) lo = mid + 1; else hi = mid; }
    return lo - 1;
  }
  function duration() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : parseFloat(timeline.dataset.duration);
  }
  function inView(el) {
    var r = el.getBoundingClientRect(), top = bar.getBoundingClientRect().bottom;
    return r.top >= top && r.bottom <= window.innerHeight;
  }
  function update() {
    var t = audio.currentTime, k = find(t), next = null;
    // the word being said: the last one started, while it lasts (or a short pause after it);
    // an unscripted stretch while it plays
    for (var j = k; j >= 0 && j > k - 4; j--) {
      var it = items[j];
      if (t <= it.end + (it.el.classList.contains("unscripted") ? 0 : HOLD)) { next = it.el; break; }
    }
    if (next !== current) {
      if (current) current.classList.remove("now");
      if (next) {
        next.classList.add("now");
        if (follow.checked && !audio.paused && !inView(next)) next.scrollIntoView({block: "center"});
      }
      current = next;
    }
    playhead.style.left = (100 * Math.min(1, t / duration())) + "%";
  }
  var frame = 0;
  function loop() { update(); frame = (!audio.paused && !audio.ended) ? requestAnimationFrame(loop) : 0; }
  audio.addEventListener("play", function () { if (!frame) frame = requestAnimationFrame(loop); });
  ["timeupdate", "seeked", "pause", "ended", "loadedmetadata"].forEach(function (e) {
    audio.addEventListener(e, update);
  });

  function seek(t, play) {
    audio.currentTime = Math.max(0, t);
    update();
    if (play && audio.paused) { var p = audio.play(); if (p && p.catch) p.catch(function () {}); }
  }
  window.reviewSeek = seek;

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-start], del.gone");
    if (!el || el === audio || ev.target.closest("audio")) return;
    if (el.classList.contains("mark")) {
      var target = document.getElementById(el.dataset.target);
      if (target) target.scrollIntoView({block: "center"});
    }
    var t = el.dataset.start !== undefined ? el.dataset.start : el.dataset.at;
    if (t === undefined) return;
    if (el.tagName !== "A") ev.preventDefault();
    else if (el.hash) history.replaceState(null, "", el.hash);
    if (el.tagName === "A") document.getElementById(el.hash.slice(1)).scrollIntoView({block: "center"});
    seek(parseFloat(t), true);
  });
  timeline.addEventListener("click", function (ev) {
    if (ev.target.closest(".mark")) return;
    var r = timeline.getBoundingClientRect();
    seek((ev.clientX - r.left) / r.width * duration(), true);
  });

  function place() { // the marks on the timeline, once the real duration is known
    var d = duration();
    Array.prototype.forEach.call(timeline.querySelectorAll(".mark"), function (m) {
      var s = parseFloat(m.dataset.start), e = m.dataset.end !== undefined ? parseFloat(m.dataset.end) : s;
      m.style.left = (100 * Math.min(1, s / d)) + "%";
      m.style.width = (100 * Math.max(0, e - s) / d) + "%";
    });
    var scale = document.getElementById("scale-end");
    if (scale) scale.textContent = clock(d);
  }
  function clock(s) {
    s = Math.floor(s); var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (x < 10 ? "0" : "") + x;
  }
  audio.addEventListener("loadedmetadata", place);
  audio.addEventListener("durationchange", place);

  // the captions: the track's active cue, shown as a player shows it
  function showCue() {
    var cues = trackEl.track.activeCues, out = [];
    captionBox.textContent = "";
    for (var i = 0; cues && i < cues.length; i++) {
      var text = cues[i].text, who = /^<v(?:\.[^ >]*)? ([^>]*)>/.exec(text);
      text = text.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&nbsp;/g, "\u00a0")
        .replace(/&amp;/g, "&");
      if (who) { var w = document.createElement("span"); w.className = "who"; w.textContent = who[1] + ": ";
        captionBox.appendChild(w); }
      captionBox.appendChild(document.createTextNode(text + (i + 1 < cues.length ? "\n" : "")));
    }
  }
  trackEl.track.mode = "hidden";
  trackEl.track.addEventListener("cuechange", showCue);

  function setBar() { document.documentElement.style.setProperty("--bar", (bar.offsetHeight + 12) + "px"); }
  window.addEventListener("resize", setBar);
  setBar();
  place();
  update();
})();
