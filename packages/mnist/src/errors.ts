/** What is wrong with an IDX file. */
export type MnistFileProblem =
  | "missing" // the file does not exist or cannot be read
  | "gzip" // the file ends in .gz but does not inflate
  | "magic" // the first bytes are not an IDX header
  | "dtype" // an element type other than unsigned bytes
  | "dimensions" // the header's shape is not the one expected
  | "truncated" // fewer bytes than the header promises
  | "trailing" // more bytes than the header promises
  | "mismatch"; // images and labels disagree (count, label value)

/**
 * An MNIST file that is missing, truncated or corrupt. `file` is the path (or the name
 * given to {@link parseIdx}), `problem` says what is wrong; the message says both.
 */
export class MnistFileError extends Error {
  readonly file: string;
  readonly problem: MnistFileProblem;
  constructor(file: string, problem: MnistFileProblem, detail: string) {
    super(`MNIST file ${file}: ${problem}: ${detail}`);
    this.name = "MnistFileError";
    this.file = file;
    this.problem = problem;
  }
}
