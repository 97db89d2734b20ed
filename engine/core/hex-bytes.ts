/** Bytes given as hex pairs, e.g. `{hex: "01 03"}`; in `expect`, `??` stands for any byte. */
export interface HexBytes {
  hex: string;
}
