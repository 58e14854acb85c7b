// Text from the network shown on an operator's terminal. A route name a caller sent, a path or an
// identity may hold control characters (ESC, or the 8-bit CSI U+009B that Node reads from a header
// byte 0x9B) that a terminal would act on: move the cursor, rewrite earlier lines, set the window
// title. They are shown escaped instead, so the operator sees what was sent and nothing more.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/** `text` with every C0, DEL and C1 control character written as `\xNN`. */
export function terminalSafe(text: string): string {
  CONTROL.lastIndex = 0
  if (!CONTROL.test(text)) return text
  return text.replace(CONTROL, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
