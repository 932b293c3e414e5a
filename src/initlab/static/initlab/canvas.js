/**
 * Canvas set-up shared by the explorer and the playground.
 */

/** Size ``canvas`` to its CSS box at the device's pixel ratio and clear it; returns ``{ctx, w, h}``
 * in CSS pixels (``defaultHeight`` when the box has no height yet). */
export function sizeCanvas(canvas, defaultHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300, h = canvas.clientHeight || defaultHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}
