// Photos are shrunk on the phone before they are stored or sent: the longer side is cut
// to max-pixels (XLSForm parameter, default 1600) and re-encoded as JPEG.

async function decode (file) {
  if (typeof createImageBitmap === 'function') {
    try { return await createImageBitmap(file, { imageOrientation: 'from-image' }) } catch (e) { /* fall back */ }
  }
  const url = URL.createObjectURL(file)
  try {
    const img = new Image()
    img.src = url
    await img.decode()
    return img
  } finally {
    URL.revokeObjectURL(url)
  }
}

/** Size that fits maxPixels on the longer side, keeping the aspect ratio. */
export function fitSize (width, height, maxPixels) {
  const scale = Math.min(1, maxPixels / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/** Downscale an image File/Blob to a JPEG Blob; returns {blob, width, height}. */
export async function downscale (file, maxPixels = 1600, quality = 0.85) {
  const img = await decode(file)
  const { width, height } = fitSize(img.width, img.height, maxPixels)
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  canvas.getContext('2d').drawImage(img, 0, 0, width, height)
  if (img.close) img.close()
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality))
  return { blob: blob || file, width, height }
}

/** An ODK-style attachment name: the capture time in ms plus .jpg. */
export const photoName = (now = Date.now()) => `${now}.jpg`
