/**
 * One-shot framed reads and writes on a libp2p stream, for request/response protocols (the
 * directory): read exactly one frame with a size limit and a timeout.
 */
import type { Stream } from '@libp2p/interface';
import { GeodeError } from '../util/errors.ts';
import { FRAME_HEADER_BYTES_MAX } from './constants.ts';
import { encodeFrame, FrameDecoder } from './frame.ts';

/** readOneFrame: the first frame `source` sends on `stream`; GeodeError INPUT_INVALID on a bad frame, IO on close or timeout. */
export function readOneFrame(stream: Stream, maxFrameBytes: number, timeoutMs: number, source: string): Promise<Uint8Array> {
  const decoder = new FrameDecoder(source, { maxFrameBytes, maxBufferedBytes: maxFrameBytes + FRAME_HEADER_BYTES_MAX + 64 * 1024 });
  return new Promise<Uint8Array>((resolve, reject) => {
    let done = false;
    const finish = (err: unknown, frame?: Uint8Array): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('close', onClose);
      if (frame !== undefined) resolve(frame);
      else reject(err);
    };
    const onMessage = (evt: { data: Uint8Array | Iterable<Uint8Array> }): void => {
      try {
        const parts = evt.data instanceof Uint8Array ? [evt.data] : evt.data;
        for (const part of parts) decoder.push(part);
        const frame = decoder.next();
        if (frame !== undefined) finish(undefined, Uint8Array.from(frame));
      } catch (err) {
        finish(err);
      }
    };
    const onClose = (): void => finish(new GeodeError('IO', `peer ${source}: stream closed before a response`, { source }));
    const timer = setTimeout(() => finish(new GeodeError('IO', `peer ${source}: no response within ${timeoutMs} ms`, { source })), timeoutMs);
    stream.addEventListener('message', onMessage);
    stream.addEventListener('close', onClose);
  });
}

/** writeOneFrame: sends `payload` as one frame. */
export function writeOneFrame(stream: Stream, payload: Uint8Array): void {
  stream.send(encodeFrame(payload));
}
