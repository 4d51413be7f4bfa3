import type { FoodShape, FoodThermal } from './foods.js';

/** Geometry exponent of the radial heat equation: slab 0, cylinder 1, sphere 2. */
const SHAPE_M: Readonly<Record<FoodShape, number>> = { slab: 0, cylinder: 1, sphere: 2 };

/** Nodes from the core (0) to the surface; enough for < 1 % error in the core's history. */
const NODES = 25;

/**
 * 1-D transient conduction in a slab, an infinite cylinder or a sphere of the given thickness
 * (half of it is the conduction path), with convection to the bath at the surface:
 *   ∂T/∂t = α r⁻ᵐ ∂/∂r (rᵐ ∂T/∂r),   −k ∂T/∂r |surface = h (T_surface − T_bath),   ∂T/∂r |core = 0.
 * Finite volumes, fully implicit in time (unconditionally stable, so a step can be a minute),
 * solved with the Thomas algorithm. Mutable and allocation-free per step.
 */
export class Conduction {
  /** Node temperatures, °C; [0] is the core, [NODES − 1] the surface. */
  readonly t: Float64Array;
  private readonly cap: Float64Array;
  private readonly cond: Float64Array;
  private readonly surfaceConductance: number;
  private readonly a = new Float64Array(NODES);
  private readonly b = new Float64Array(NODES);
  private readonly c = new Float64Array(NODES);
  private readonly d = new Float64Array(NODES);

  constructor(thermal: FoodThermal, shape: FoodShape, thicknessMm: number, startC: number) {
    const m = SHAPE_M[shape];
    const radius = thicknessMm / 2000;
    const dr = radius / (NODES - 1);
    const rhoC = thermal.kWPerMK / thermal.alphaM2PerS;
    this.t = new Float64Array(NODES).fill(startC);
    this.cap = new Float64Array(NODES);
    this.cond = new Float64Array(NODES - 1);
    // Per-unit "area" measures rᵐ (the constant factors of 2π, 4π cancel).
    const measure = (r: number) => r ** (m + 1) / (m + 1);
    for (let i = 0; i < NODES; i++) {
      const lo = Math.max(0, (i - 0.5) * dr);
      const hi = Math.min(radius, (i + 0.5) * dr);
      this.cap[i] = rhoC * (measure(hi) - measure(lo));
      if (i < NODES - 1) this.cond[i] = (thermal.kWPerMK * ((i + 0.5) * dr) ** m) / dr;
    }
    this.surfaceConductance = thermal.hWPerM2K * radius ** m;
  }

  get coreC(): number {
    return this.t[0]!;
  }

  get surfaceC(): number {
    return this.t[NODES - 1]!;
  }

  /** Advance dtS seconds with the bath at bathC (implicit Euler). */
  step(dtS: number, bathC: number): void {
    const { a, b, c, d, t, cap, cond } = this;
    const last = NODES - 1;
    for (let i = 0; i <= last; i++) {
      const w = i > 0 ? cond[i - 1]! : 0;
      const e = i < last ? cond[i]! : 0;
      const s = i === last ? this.surfaceConductance : 0;
      const k = cap[i]! / dtS;
      a[i] = -w;
      c[i] = -e;
      b[i] = k + w + e + s;
      d[i] = k * t[i]! + s * bathC;
    }
    // Thomas algorithm (tridiagonal, diagonally dominant).
    for (let i = 1; i <= last; i++) {
      const f = a[i]! / b[i - 1]!;
      b[i] = b[i]! - f * c[i - 1]!;
      d[i] = d[i]! - f * d[i - 1]!;
    }
    t[last] = d[last]! / b[last]!;
    for (let i = last - 1; i >= 0; i--) t[i] = (d[i]! - c[i]! * t[i + 1]!) / b[i]!;
  }
}
