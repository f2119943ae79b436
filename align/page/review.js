
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
  var items, starts, current = null;
  function reindex() { // again after a correction moves a word
    items = Array.prototype.slice.call(
      document.querySelectorAll("#transcript .w[data-start], #transcript .unscripted"));
    items = items.map(function (el, k) {
      return {el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end), k: k};
    }).sort(function (a, b) { return a.start - b.start || a.k - b.k; });
    starts = items.map(function (it) { return it.start; });
  }
  reindex();

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
    if (el.dataset.ref) select(el);
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

  // corrections: a word's start set by ear (S at the playhead, [ and ] to nudge, U to undo), kept in this
  // browser per episode, downloaded as the file `align --corrections` reads, or applied to the captions here
  var storeKey = "align-review:" + document.title + ":" + (audio.getAttribute("src") || "").slice(0, 300);
  var byRef = {}, order = {}, original = {}, fixes = {}, undo = [], selected = null;
  Array.prototype.forEach.call(document.querySelectorAll("#transcript .w[data-ref]"), function (el, k) {
    byRef[el.dataset.ref] = el; order[el.dataset.ref] = k;
    original[el.dataset.ref] = [el.dataset.start, el.dataset.end];
  });
  var cueData = JSON.parse(document.getElementById("cue-data").textContent);
  var label = document.getElementById("fix-word");

  function round(t) { return Math.round(t * 1000) / 1000; }
  function select(el) {
    if (selected) selected.classList.remove("selected");
    selected = el; el.classList.add("selected");
    label.textContent = "“" + el.textContent + "” (" + el.dataset.ref + ") starts at " + el.dataset.start + " s";
  }
  function show(ref) { // the word as the corrections have it
    var el = byRef[ref]; if (!el) return;
    var start = ref in fixes ? fixes[ref] : parseFloat(original[ref][0]);
    var length = Math.max(0.05, parseFloat(original[ref][1]) - parseFloat(original[ref][0]));
    el.dataset.start = String(start); el.dataset.end = String(round(start + length));
    el.classList.toggle("fixed", ref in fixes);
    if (el === selected) select(el);
  }
  function save() { try { localStorage.setItem(storeKey, JSON.stringify(fixes)); } catch (e) { /* private */ } }
  function setStart(ref, t) {
    if (!byRef[ref]) return;
    undo.push([ref, ref in fixes ? fixes[ref] : null]);
    fixes[ref] = round(Math.max(0, t));
    save(); show(ref); reindex(); update();
  }
  function undoLast() {
    var last = undo.pop(); if (!last) return;
    if (last[1] === null) delete fixes[last[0]]; else fixes[last[0]] = last[1];
    save(); show(last[0]); reindex(); update();
  }
  function correctionsText() {
    var refs = Object.keys(fixes).sort(function (a, b) { return order[a] - order[b]; });
    return JSON.stringify({words: refs.map(function (r) { return {ref: r, start: fixes[r]}; })}, null, 1) + "\n";
  }
  function stamp(t, mark) {
    var ms = Math.round(t * 1000), h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60,
      s = Math.floor(ms / 1000) % 60, x = ms % 1000;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(h) + ":" + two(m) + ":" + two(s) + mark + (x < 10 ? "00" : x < 100 ? "0" : "") + x;
  }
  function corrected(cues) { // each cue that starts with a corrected word starts there; none overlaps the next
    var out = cues.map(function (c) {
      var start = c.first !== null && c.first in fixes ? fixes[c.first] : c.start;
      return {start: start, end: Math.max(c.end, start + 0.001), lines: c.lines};
    });
    for (var k = 0; k + 1 < out.length; k++) {
      if (out[k].end > out[k + 1].start) out[k].end = Math.max(out[k].start + 0.001, out[k + 1].start);
    }
    return out;
  }
  function captionsText(kind) {
    var cues = corrected(cueData[kind]), mark = kind === "srt" ? "," : ".";
    var blocks = cues.map(function (c, k) {
      return (kind === "srt" ? (k + 1) + "\n" : "") + stamp(c.start, mark) + " --> " + stamp(c.end, mark) + "\n" +
        c.lines.join("\n") + "\n";
    });
    return (kind === "vtt" ? "WEBVTT\n\n" : "") + blocks.join("\n");
  }
  function download(name, text, type) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], {type: type}));
    a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }
  var base = (document.querySelector("h1 .file").textContent || "episode").replace(/\.[^.]*$/, "");
  document.getElementById("fix-set").addEventListener("click", function () {
    if (selected) setStart(selected.dataset.ref, audio.currentTime);
  });
  document.getElementById("fix-undo").addEventListener("click", undoLast);
  document.getElementById("fix-download").addEventListener("click", function () {
    download(base + ".corrections.json", correctionsText(), "application/json");
  });
  document.getElementById("fix-vtt").addEventListener("click", function () {
    download(base + ".vtt", captionsText("vtt"), "text/vtt");
  });
  document.getElementById("fix-srt").addEventListener("click", function () {
    download(base + ".srt", captionsText("srt"), "application/x-subrip");
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName)) return;
    var key = ev.key.toLowerCase();
    if (key === "u") { undoLast(); ev.preventDefault(); return; }
    if (!selected) return;
    var ref = selected.dataset.ref, now = parseFloat(selected.dataset.start), step = ev.shiftKey ? 0.01 : 0.05;
    if (key === "s") setStart(ref, audio.currentTime);
    else if (ev.code === "BracketLeft" || key === "[" || key === "{") setStart(ref, now - step);
    else if (ev.code === "BracketRight" || key === "]" || key === "}") setStart(ref, now + step);
    else return;
    ev.preventDefault();
  });
  try { fixes = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { fixes = {}; }
  Object.keys(fixes).forEach(function (ref) { if (byRef[ref]) show(ref); else delete fixes[ref]; });
  reindex();
  window.alignReview = {corrections: correctionsText, captions: captionsText, setStart: setStart, undo: undoLast,
                        select: function (ref) { if (byRef[ref]) select(byRef[ref]); }};

  function setBar() { document.documentElement.style.setProperty("--bar", (bar.offsetHeight + 12) + "px"); }
  window.addEventListener("resize", setBar);
  setBar();
  place();
  update();
})();
