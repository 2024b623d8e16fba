export { gaussian, mulberry32, permutation, type Random } from "./random.js";
