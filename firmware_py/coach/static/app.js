// The coach's view: every device's view model, kept up to date from /events (Server-Sent
// Events; the browser reconnects by itself and the server then sends the whole picture).
// The page only listens: it sends nothing anywhere.
document.addEventListener('alpine:init', () => {
  Alpine.data('coach', () => ({
    // A Map, not a plain object: a device may be named __proto__ or constructor (Alpine's reactivity tracks Maps)
    devices: new Map(),
    broker: { connected: false, broker: '', said: 'connecting' },
    live: false,
    init() {
      const events = new EventSource('events');
      events.addEventListener('device', (e) => {
        const d = JSON.parse(e.data);
        this.devices.set(d.device, d);
      });
      events.addEventListener('broker', (e) => { this.broker = JSON.parse(e.data); });
      events.onopen = () => { this.live = true; };
      events.onerror = () => { this.live = false; };
    },
    list() {
      return [...this.devices.values()].sort((a, b) => a.device.localeCompare(b.device));
    },
    linkUp() { return this.live && this.broker.connected; },
    linkWords() {
      if (!this.live) return 'the coach\'s view is not answering; retrying';
      return 'broker ' + this.broker.broker + ': ' + this.broker.said;
    },
  }));
});
