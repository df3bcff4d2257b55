/* A claim code's printable sheet as a PDF (A6 portrait): the QR and, above and below it, the coupon and the
 * store. jsPDF's built-in fonts have no Chinese, so each text block is drawn on a canvas in the browser's own
 * fonts and placed as an image (sharp at 12 px per mm, about 300 dpi). */

const PAGE = { w: 105, h: 148 }; // A6, mm
const MARGIN = 8;
const PX_PER_MM = 12;

interface Block { image: string; heightMm: number }

/** Lines of text wrapped to `widthMm`, `sizeMm` high each, centred, as a PNG data URL. */
function textBlock(text: string, widthMm: number, sizeMm: number, weight = "normal", color = "#000"): Block {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("canvas unavailable");
  const font = `${weight} ${sizeMm * PX_PER_MM}px "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif`;
  ctx.font = font;
  const width = widthMm * PX_PER_MM;
  const lines: string[] = [];
  let line = "";
  for (const ch of Array.from(text)) { // character by character: Chinese has no spaces to break at
    if (line && ctx.measureText(line + ch).width > width) { lines.push(line); line = ""; }
    line += ch;
  }
  lines.push(line);
  const lineHeight = sizeMm * 1.35 * PX_PER_MM;
  canvas.width = width;
  canvas.height = Math.ceil(lines.length * lineHeight);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = font; // resizing the canvas reset it
  ctx.fillStyle = color;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  lines.forEach((l, i) => ctx.fillText(l, width / 2, (i + 0.5) * lineHeight));
  return { image: canvas.toDataURL("image/png"), heightMm: canvas.height / PX_PER_MM };
}

export interface ClaimSheet {
  qr: string; // PNG data URL
  coupon: string;
  store: string;
  footer: string[]; // smaller lines under the store (expiry, how to claim, the code)
}

/** The sheet as a PDF Blob. jsPDF is loaded only here, when someone asks for a PDF. */
export async function claimSheetPdf(sheet: ClaimSheet): Promise<Blob> {
  const { jsPDF } = await import("jspdf");
  const doc = new jsPDF({ format: "a6", unit: "mm", orientation: "portrait" });
  const width = PAGE.w - 2 * MARGIN;
  let y = MARGIN;
  const place = (block: Block) => {
    doc.addImage(block.image, "PNG", MARGIN, y, width, block.heightMm);
    y += block.heightMm + 2;
  };
  place(textBlock(sheet.coupon, width, 6, "bold"));
  const qrSize = 68;
  doc.addImage(sheet.qr, "PNG", (PAGE.w - qrSize) / 2, y, qrSize, qrSize);
  y += qrSize + 2;
  place(textBlock(sheet.store, width, 5, "bold"));
  for (const line of sheet.footer) place(textBlock(line, width, 3, "normal", "#555"));
  return doc.output("blob");
}
