// Vite needs no settings for Geode. The networking code (libp2p, in its own chunk) is loaded only
// when the page joins a cluster, so its size is no reason for Vite's large-chunk warning.
export default {
  build: { chunkSizeWarningLimit: 600 },
};
