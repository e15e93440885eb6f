// A phone (矫务通 in the field) or a desk: one console, laid out for the width it has.
import { onBeforeUnmount, ref } from "vue";

const PHONE = "(max-width: 760px)";

export function useNarrow() {
  const query = window.matchMedia(PHONE);
  const narrow = ref(query.matches);
  const changed = (e: MediaQueryListEvent) => (narrow.value = e.matches);
  query.addEventListener("change", changed);
  onBeforeUnmount(() => query.removeEventListener("change", changed));
  return narrow;
}
