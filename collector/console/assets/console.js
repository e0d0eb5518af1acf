// Canh Gác console: the little that needs JavaScript (no inline scripts: the CSP forbids them).
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (ev) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) ev.preventDefault();
    });
  }
  const button = document.getElementById('vc-check');
  if (button) {
    const out = document.getElementById('vc-check-result');
    const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
    button.addEventListener('click', async () => {
      button.disabled = true;
      out.textContent = button.dataset.busy;
      try {
        const res = await fetch(button.dataset.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ wait: 5 }), credentials: 'same-origin' });
        if (res.status === 404) {
          out.textContent = button.dataset.unavailable;
        } else {
          const body = await res.json().catch(() => ({}));
          const s = body.summary;
          out.textContent = res.ok && s ? `${s.ready}/${s.endpoints} ✓ · agents ${s.agentsAnswered}/${s.agentsAsked}` : `${res.status}: ${body.message ?? ''}`;
          if (res.ok) setTimeout(() => window.location.reload(), 1500);
        }
      } catch (err) {
        out.textContent = String(err);
      } finally {
        button.disabled = false;
      }
    });
  }
});
