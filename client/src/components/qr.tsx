// Its own module: the QR encoder is the largest thing a page script carries, and only the order page needs it.
import { Image } from '@tarojs/components'
import qrcode from 'qrcode-generator'
import { useMemo } from 'react'

/** A QR code drawn on the device from the text (no image service): a GIF data URL in an Image. */
export function QrCode ({ text, testId }: { text: string, testId?: string }) {
  const src = useMemo(() => {
    const code = qrcode(0, 'M')
    code.addData(text)
    code.make()
    return code.createDataURL(6, 12)
  }, [text])
  return <Image className='qr' src={src} data-testid={testId} data-text={text} />
}
