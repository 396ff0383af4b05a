/* At logout, nothing a page kept on this device stays behind: the sampler page's queue
 * (encrypted, but of no use to the next person) is removed before the form is sent.
 * Keys under "fangkong.sampler." belong to testing/sampler/vault.js. */
(() => {
  "use strict";
  function clearDevice() {
    for (const store of [window.localStorage, window.sessionStorage]) {
      try {
        for (let i = store.length - 1; i >= 0; i--) {
          const name = store.key(i);
          if (name && name.startsWith("fangkong.sampler.")) store.removeItem(name);
        }
      } catch (_e) {
        /* storage disabled: nothing kept */
      }
    }
  }
  document.querySelectorAll("form[data-logout]").forEach((form) => {
    form.addEventListener("submit", clearDevice);
  });
})();
