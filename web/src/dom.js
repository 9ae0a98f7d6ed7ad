// The two DOM helpers every module of the page uses.

export const $ = (id) => document.getElementById(id);

// el makes an element with its text and class, either optional.
export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
