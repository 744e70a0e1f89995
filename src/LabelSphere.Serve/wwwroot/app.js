// The LabelSphere page: ranks labels through POST /predict and explores the label embedding through /embedding/*.
// Plain JavaScript, no build step; every request goes to the service that served this page.
"use strict";

const $ = id => document.getElementById(id);
let health = null;

// One line from a refused request: the service answers {"message": ...}; anything else is shown as text.
async function answer(response) {
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  if (!response.ok) throw new Error(body && body.message ? body.message : (text.trim() || `${response.status} ${response.statusText}`));
  return body;
}

function showError(id, error) {
  const element = $(id);
  element.textContent = error ? error.message || String(error) : "";
  element.hidden = !error;
}

function showScores(list, labels) {
  list.replaceChildren();
  const best = Math.max(...labels.map(l => Math.abs(l.score)), 1e-9);
  for (const { label, score } of labels) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.max(0, score) / best * 100}%`;
    const value = document.createElement("span");
    value.className = "score";
    value.textContent = score.toFixed(4);
    const track = document.createElement("span");
    track.className = "track";
    track.append(bar);
    item.append(name, track, value);
    list.append(item);
  }
}

// A pasted row: "i:v" pairs make a sparse instance, plain numbers a dense one; commas, spaces and newlines separate.
function parseRow(text) {
  const tokens = text.trim().split(/[\s,;]+/).filter(t => t.length > 0);
  if (tokens.length === 0) throw new Error("paste a feature row first");
  if (tokens.some(t => t.includes(":"))) {
    const indices = [], values = [];
    for (const token of tokens) {
      const [i, v, extra] = token.split(":");
      if (extra !== undefined || !/^\d+$/.test(i) || v === undefined || v === "" || !Number.isFinite(Number(v)))
        throw new Error(`'${token}' is not an index:value pair (e.g. 17:0.5)`);
      indices.push(Number(i));
      values.push(Number(v));
    }
    return { indices, values };
  }
  const features = tokens.map(t => {
    const v = Number(t);
    if (!Number.isFinite(v)) throw new Error(`'${t}' is not a number`);
    return v;
  });
  return { features };
}

async function predict(event) {
  event.preventDefault();
  showError("predict-error", null);
  try {
    const top = Number($("top").value) || 5;
    let response;
    if (health.input === "images") {
      const file = $("photo").files[0];
      if (!file) throw new Error("drop or choose a photo first");
      response = await fetch(`predict?top=${top}`, { method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } });
    } else {
      const instance = health.input === "text" ? { text: $("text").value } : parseRow($("row").value);
      response = await fetch("predict", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ instances: [instance], top }) });
    }
    const body = await answer(response);
    showScores($("ranked"), body.predictions[0].labels);
  } catch (error) {
    $("ranked").replaceChildren();
    showError("predict-error", error);
  }
}

async function neighbours(event) {
  if (event) event.preventDefault();
  showError("neighbours-error", null);
  try {
    const query = new URLSearchParams({ label: $("label").value.trim(), k: $("neighbours-k").value || "10" });
    const body = await answer(await fetch(`embedding/neighbours?${query}`));
    showScores($("neighbour-list"), body.neighbours);
  } catch (error) {
    $("neighbour-list").replaceChildren();
    showError("neighbours-error", error);
  }
}

async function arithmetic(event) {
  event.preventDefault();
  showError("arithmetic-error", null);
  try {
    const query = new URLSearchParams({ expression: $("expression").value });
    const body = await answer(await fetch(`embedding/arithmetic?${query}`));
    showScores($("arithmetic-list"), body.nearest);
  } catch (error) {
    $("arithmetic-list").replaceChildren();
    showError("arithmetic-error", error);
  }
}

// The map: points in canvas pixels (window.labelMap, which the browser test reads too), hover names the nearest one.
const map = { points: [], hovered: -1, named: new Set() };
window.labelMap = map;

function layout(labels, width, height) {
  const margin = 28;
  const xs = labels.map(p => p.x), ys = labels.map(p => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // Each axis fills the canvas: the components' spreads differ, and an equal scale would leave most of it empty.
  const sx = (width - 2 * margin) / Math.max(x1 - x0, 1e-9), sy = (height - 2 * margin) / Math.max(y1 - y0, 1e-9);
  const maxCount = Math.max(...labels.map(p => p.count), 1);
  return labels.map(p => ({
    label: p.label, zeroShot: p.zeroShot, count: p.count,
    px: margin + (p.x - x0) * sx,
    py: height - margin - (p.y - y0) * sy,   // y up
    r: 2.5 + 3.5 * Math.sqrt(Math.log1p(p.count) / Math.log1p(maxCount)),
  }));
}

function drawMap() {
  const canvas = $("map"), context = canvas.getContext("2d");
  const width = canvas.clientWidth, height = canvas.clientHeight;
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio)) { canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio); }
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.strokeStyle = "#e3e6ea";
  context.lineWidth = 1;
  for (let g = 1; g < 8; g++) {
    context.beginPath(); context.moveTo(width * g / 8, 0); context.lineTo(width * g / 8, height); context.stroke();
    context.beginPath(); context.moveTo(0, height * g / 8); context.lineTo(width, height * g / 8); context.stroke();
  }
  map.points.forEach((p, i) => {
    context.beginPath();
    context.arc(p.px, p.py, i === map.hovered ? p.r + 2.5 : p.r, 0, 2 * Math.PI);
    context.fillStyle = p.zeroShot ? "rgba(214, 96, 20, 0.9)" : "rgba(38, 99, 178, 0.72)";
    context.fill();
    if (i === map.hovered) { context.lineWidth = 2; context.strokeStyle = "#111"; context.stroke(); }
  });
  // Names of the most frequent labels (and every zero-shot one) where they do not overlap one another.
  context.font = "11px system-ui, sans-serif";
  context.fillStyle = "#333";
  const boxes = [];
  const order = map.points.map((p, i) => i).sort((a, b) => (map.points[b].zeroShot - map.points[a].zeroShot) || map.points[b].count - map.points[a].count);
  for (const i of order.slice(0, 40)) {
    const p = map.points[i];
    const w = context.measureText(p.label).width, box = [p.px + p.r + 2, p.py - 6, w, 12];
    if (box[0] + w > width) box[0] = p.px - p.r - 2 - w;
    if (boxes.some(b => box[0] < b[0] + b[2] && b[0] < box[0] + box[2] && box[1] < b[1] + b[3] && b[1] < box[1] + box[3])) continue;
    boxes.push(box);
    context.fillText(p.label, box[0], box[1] + 10);
  }
}

// The point under the mouse (within 12 px), or -1.
function pointAt(event) {
  const rect = $("map").getBoundingClientRect();
  const x = event.clientX - rect.left, y = event.clientY - rect.top;
  let best = -1, distance = 12 * 12;
  map.points.forEach((p, i) => {
    const d = (p.px - x) ** 2 + (p.py - y) ** 2;
    if (d <= distance) { best = i; distance = d; }
  });
  return best;
}

function setHovered(index) {
  if (index === map.hovered) return;
  map.hovered = index;
  const tip = $("map-tip");
  if (index < 0) {
    tip.hidden = true;
    $("map-hover").textContent = "none";
  } else {
    const p = map.points[index];
    tip.textContent = p.zeroShot ? `${p.label} (zero-shot)` : `${p.label} (${p.count.toLocaleString()} instances)`;
    tip.style.left = `${p.px + 10}px`;
    tip.style.top = `${p.py - 30}px`;
    tip.hidden = false;
    $("map-hover").textContent = p.label;
  }
  drawMap();
}

async function loadMap() {
  const body = await answer(await fetch("embedding/map"));
  const canvas = $("map");
  map.points = layout(body.labels, canvas.clientWidth, canvas.clientHeight);
  const [a, b] = body.explained.map(e => `${(100 * e).toFixed(1)}%`);
  const zeroShot = body.labels.filter(p => p.zeroShot).length;
  $("map-note").textContent = `${body.labels.length} labels${zeroShot ? ` (${zeroShot} added zero-shot, orange)` : ""}: their unit vectors on the first two principal components (horizontal and vertical, each scaled to fill the frame), which hold ${a} and ${b} of the variance; a point's size grows with its label's frequency.`;
  drawMap();
  canvas.addEventListener("mousemove", event => setHovered(pointAt(event)));
  canvas.addEventListener("mouseleave", () => setHovered(-1));
  canvas.addEventListener("click", () => {
    if (map.hovered < 0) return;
    $("label").value = map.points[map.hovered].label;
    neighbours();
  });
}

function choosePhoto(file) {
  const preview = $("preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
}

async function start() {
  try {
    health = await answer(await fetch("health"));
    const labels = await answer(await fetch("labels"));
    const zeroShot = labels.labels.length - labels.trained;
    const input = { features: `${health.features.toLocaleString()} features`, text: "text", images: "images" }[health.input] || health.input;
    $("model").textContent = `${health.head} head · ${health.labels.toLocaleString()} labels${zeroShot ? ` (${zeroShot} added zero-shot)` : ""} · takes ${input}`;
    $("top").max = health.labels;
    $("features-input").hidden = health.input !== "features";
    $("text-input").hidden = health.input !== "text";
    $("photo-input").hidden = health.input !== "images";
    $("predict-form").addEventListener("submit", predict);
    if (health.embedding) {
      $("label-names").replaceChildren(...labels.labels.map(l => Object.assign(document.createElement("option"), { value: l })));
      $("embedding-panel").hidden = false;
      $("neighbours-form").addEventListener("submit", neighbours);
      $("arithmetic-form").addEventListener("submit", arithmetic);
      await loadMap();
    } else {
      $("no-embedding").textContent = `This ${health.head} model has no label embedding, so there are no neighbours, arithmetic or map to explore.`;
      $("no-embedding").hidden = false;
    }
  } catch (error) {
    $("model").textContent = `the service did not answer: ${error.message}`;
  }
  const drop = $("drop");
  $("photo").addEventListener("change", () => { if ($("photo").files[0]) choosePhoto($("photo").files[0]); });
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length === 0) return;
    $("photo").files = e.dataTransfer.files;
    choosePhoto(e.dataTransfer.files[0]);
  });
  document.body.dataset.ready = "true";
}

start();
