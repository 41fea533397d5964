// Report editor: autosave with a version counter, pick-list phrases, macros, dictation with MediaRecorder.
(function () {
  "use strict";
  const form = document.getElementById("report-editor");
  if (!form) return;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const status = document.getElementById("autosave-status");
  const versionField = form.querySelector("input[name=version]");
  const macros = JSON.parse(document.getElementById("report-macros").textContent || "{}");
  const storeKey = "lumen-report-" + form.dataset.report;
  let version = parseInt(form.dataset.version, 10);
  let dirty = false, saving = false, signing = false, timer = null;

  function sections() {
    const out = {};
    form.querySelectorAll("textarea[data-key]").forEach(function (t) { out[t.dataset.key] = t.value; });
    return out;
  }

  // Text typed but not yet saved survives a closed tab: it is kept in this browser until the server has it.
  const kept = localStorage.getItem(storeKey);
  if (kept) {
    try {
      const saved = JSON.parse(kept);
      if (saved.version === version) {
        Object.entries(saved.sections).forEach(function ([key, text]) {
          const t = form.querySelector('textarea[data-key="' + key + '"]');
          if (t && t.value !== text) { t.value = text; dirty = true; }
        });
        if (dirty) status.textContent = "Restored text that had not been saved yet.";
      }
    } catch (e) { localStorage.removeItem(storeKey); }
  }

  async function save() {
    if (!dirty || saving || signing) return;
    saving = true; dirty = false;
    const body = {version: version, sections: sections()};
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (response.ok) {
        version = answer.version;
        if (versionField) versionField.value = version;
        localStorage.removeItem(storeKey);
        status.textContent = "Saved " + new Date().toLocaleTimeString();
      } else if (response.status === 409) {
        status.textContent = answer.detail;
        status.classList.add("error");
      } else {
        dirty = true;
        status.textContent = "Not saved: " + (answer.detail || response.status);
      }
    } catch (e) {
      dirty = true;
      status.textContent = "Offline: your text is kept in this browser and saved when the server answers.";
    } finally {
      saving = false;
    }
  }

  function changed() {
    dirty = true;
    localStorage.setItem(storeKey, JSON.stringify({version: version, sections: sections()}));
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  form.addEventListener("input", function (event) {
    const t = event.target;
    if (t.tagName === "TEXTAREA" && event.data === " ") {
      // ".name " expands a macro.
      const before = t.value.slice(0, t.selectionStart - 1);
      const match = before.match(/\.([A-Za-z0-9_]+)$/);
      if (match && macros[match[1]] !== undefined) {
        const start = before.length - match[0].length;
        const after = t.value.slice(t.selectionStart);
        t.value = t.value.slice(0, start) + macros[match[1]] + " " + after;
        t.selectionStart = t.selectionEnd = t.value.length - after.length;
      }
    }
    if (t.tagName === "TEXTAREA") changed();
  });
  form.querySelectorAll("button.phrase").forEach(function (b) {
    b.addEventListener("click", function () {
      const t = document.getElementById(b.dataset.target);
      t.value = t.value ? t.value.replace(/\s*$/, "") + " " + b.dataset.text : b.dataset.text;
      changed();
    });
  });
  form.addEventListener("submit", function () {
    signing = true; clearTimeout(timer);
    if (versionField) versionField.value = version;
  });
  window.addEventListener("beforeunload", function () {
    if (dirty && !signing) {
      localStorage.setItem(storeKey, JSON.stringify({version: version, sections: sections()}));
    }
  });

  // Dictation: record in the browser, upload the audio to the report.
  const start = document.getElementById("dictate-start");
  const stop = document.getElementById("dictate-stop");
  const dstatus = document.getElementById("dictate-status");
  if (!start) return;
  if (!window.MediaRecorder || !navigator.mediaDevices) {
    start.disabled = true;
    dstatus.textContent = "This browser cannot record audio.";
    return;
  }
  let recorder = null, chunks = [];
  start.addEventListener("click", async function () {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      recorder = new MediaRecorder(stream);
      chunks = [];
      recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
      recorder.onstop = async function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        const type = (recorder.mimeType || "audio/webm").split(";")[0];
        const data = new FormData();
        data.append("audio", new Blob(chunks, {type: type}), "dictation");
        dstatus.textContent = "Uploading…";
        const response = await fetch(form.dataset.dictationUrl, {
          method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf}, body: data,
        });
        dstatus.textContent = response.ok ? "Dictation attached; it is in the transcription queue." :
          "Not attached: " + JSON.stringify(await response.json());
      };
      recorder.start();
      start.disabled = true; stop.disabled = false;
      dstatus.textContent = "Recording…";
    } catch (e) {
      dstatus.textContent = "No microphone: " + e.message;
    }
  });
  stop.addEventListener("click", function () {
    if (recorder) recorder.stop();
    start.disabled = false; stop.disabled = true;
  });
})();
