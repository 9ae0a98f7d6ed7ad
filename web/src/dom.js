// The helpers every module of the page uses: three for the DOM, one for
// what the caller may do.

export const $ = (id) => document.getElementById(id);

// el makes an element with its text and class, either optional.
export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// focusBack gives the focus back to the button that opened a panel, or,
// when the header's menu hides it (on a phone), to the menu's button.
export function focusBack(button) {
  (button.offsetParent ? button : $('menu-toggle')).focus();
}

// can is whether the caller me (GET /api/v1/me) holds permission.
export function can(me, permission) {
  return me.permissions.includes(permission);
}
