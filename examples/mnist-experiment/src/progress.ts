/** Progress while training: a bar on a terminal, one line per epoch otherwise (logs, CI). */
import cliProgress from "cli-progress";

export interface Progress {
  /** A new optimizer starts: `total` steps over all epochs. */
  start(label: string, total: number): void;
  /** `done` steps so far; `loss` is the running mean of the current epoch. */
  step(done: number, epoch: number, loss: number): void;
  epoch(
    label: string,
    epoch: number,
    epochs: number,
    trainLoss: number,
    accuracy: number,
    seconds: number,
  ): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stdout): Progress {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

function barProgress(stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        "{label} |{bar}| {percentage}% | epoch {epoch} | loss {loss} | test acc {acc} | eta {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let accuracy = "-";
  let last = 0;
  return {
    start(label, total) {
      accuracy = "-";
      last = total;
      bar.start(total, 0, { label: label.padEnd(11), epoch: 1, loss: "-", acc: accuracy });
    },
    step(done, epoch, loss) {
      // The payload only every 25 steps: the bar redraws at most 10 times a second anyway.
      if (done % 25 === 0 || done === last) bar.update(done, { epoch, loss: loss.toFixed(4), acc: accuracy });
    },
    epoch(_label, epoch, _epochs, _trainLoss, acc) {
      accuracy = `${(100 * acc).toFixed(2)}%`;
      bar.update({ epoch, acc: accuracy });
    },
    stop() {
      bar.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream): Progress {
  return {
    start(label, total) {
      stream.write(`${label}: ${total} steps\n`);
    },
    step() {},
    epoch(label, epoch, epochs, trainLoss, accuracy, seconds) {
      stream.write(
        `${label} epoch ${epoch}/${epochs}: train loss ${trainLoss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)}%, ${seconds.toFixed(1)} s\n`,
      );
    },
    stop() {},
  };
}
