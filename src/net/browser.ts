/** Browser entry of the net layer: a tab's peer (WebRTC needs a page: RTCPeerConnection is not in workers). */
export { createBrowserPeer, type BrowserPeerInit } from './peer-browser.ts';
export * from './index.ts';
