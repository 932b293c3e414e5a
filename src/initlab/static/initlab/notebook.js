// The in-page explorer inside a notebook (JupyterLab, Binder, Colab): the front end of
// ``initlab.notebook_explorer.NotebookExplorer``, an anywidget. Every control computes here, in
// the browser, as on the book's pages: a click never waits for the kernel.
//
// A notebook output cannot fetch the package's files, so the kernel sends their sources once (the
// model's ``modules``: file name -> text). Each becomes a Blob URL, its ``./x.js`` imports
// rewritten to the Blob URLs of their targets, dependencies first; worker.js gets one too and is
// handed to the explorer (a Blob URL has no folder to resolve ``./worker.js`` against). If module
// workers are refused, the explorer computes on the main thread (explorer.js' fallback).

const IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])\.\/([\w.-]+\.js)\2/g;

/** Blob URLs for ``sources`` (name -> text), with relative imports resolved among them. */
export function moduleUrls(sources) {
  const urls = {};
  const visiting = new Set();
  const url = (name) => {
    if (urls[name]) return urls[name];
    if (!(name in sources)) throw new Error(`the explorer's module ${name} was not sent; sent: ${Object.keys(sources).join(", ")}`);
    if (visiting.has(name)) throw new Error(`the explorer's modules import each other in a cycle at ${name}`);
    visiting.add(name);
    const text = sources[name].replace(IMPORT, (_, head, quote, dep) => `${head}${quote}${url(dep)}${quote}`);
    urls[name] = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    return urls[name];
  };
  Object.keys(sources).forEach(url);
  return urls;
}

let loaded = null;   // one set of modules per page, shared by every explorer in it

async function render({ model, el }) {
  if (!loaded) {
    const urls = moduleUrls(model.get("modules"));
    loaded = import(urls["explorer.js"]).then((module) => ({ module, workerUrl: urls["worker.js"] }));
  }
  const { module, workerUrl } = await loaded;
  const root = document.createElement("div");
  root.className = "initlab-explorer ilx-notebook";
  root.id = model.get("name");
  root.dataset.config = JSON.stringify(model.get("config"));
  // Keys typed into the controls are theirs: JupyterLab's notebook shortcuts would otherwise take
  // the arrow keys (a slider would not move) and letters (e.g. "a" inserts a cell).
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (e) => e.stopPropagation());
  el.appendChild(root);
  const explorer = new module.Explorer(root, { workerUrl, hash: false });
  root.initlabExplorer = explorer;
  // JupyterLab marks its theme on <body>; the canvases take their colours from it when redrawn.
  const theme = new MutationObserver(() => explorer.redraw());
  theme.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  return () => {
    theme.disconnect();
    if (explorer.runner.worker) explorer.runner.worker.terminate();
  };
}

export default { render };
