// How the tests launch Debian's chromium (never a downloaded browser): headless, sandbox off (root in
// CI), nothing that would reach the network by itself.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const CHROMIUM_PATH = '/usr/bin/chromium';
