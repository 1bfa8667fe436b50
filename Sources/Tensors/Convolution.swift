import CKernels
import Scalars

/// The three products of a 2-D convolution (`ConvolutionGeometry` states each sum and its order),
/// accumulated as a `KernelPlan` says.
///
/// Paths, each the same sums in the same order, so the same bits:
/// - `Float`/`Double` accumulation (any order but `blas`), and binary16/bfloat16 accumulated in
///   themselves at nearest even: the SIMD kernels of `FastMatrixMultiply` on panels packed straight
///   from the image or the output gradient (`pl_pack_conv_*`), one panel per thread at a time, so the
///   patch matrix is never formed whole. Forward computes `[outChannels, positions]` with the weight as
///   the left operand; the weight gradient `[outChannels, patchSize]`; the input gradient `[channels,
///   inputPositions]` with the weight rearranged to `[channels, (o, i, j)]`.
/// - everything else (emulated accumulation, MPFR, `blas`): the patch matrices formed in the storage
///   format and `MatrixMultiply`'s generic loop (MPFR accumulating in place) or BLAS.
///
/// Rounding into the storage format happens once per output, position by position as the generic
/// path's rows (so stochastic rounding draws the same bits on both paths).
public enum Convolution {
  /// `[batch, outChannels, outHeight, outWidth]`: each output the patch sum plus the bias.
  @inlinable
  public static func forward<S: PrecisionScalar>(
    _ x: Tensor<S>, weight: Tensor<S>, bias: Tensor<S>?, stride: Int, padding: Int, plan: KernelPlan
  ) -> Tensor<S> {
    plan.checkAccumulation(storage: S.self)
    let g = ConvolutionGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding)
    // MX blocks along the reduction's channels: the input's and the weight's axis 1 (microxcaling's).
    let (x, weight) = (plan.operand(x, along: 1), plan.operand(weight, along: 1))
    let plan = plan.takingOperandsAsGiven
    switch plan.accumulation {
    case .same: return forward(x, weight, bias, g, S.self, plan)
    case .binary32: return forward(x, weight, bias, g, Float.self, plan)
    case .binary64: return forward(x, weight, bias, g, Double.self, plan)
    }
  }

  /// The weight gradient `[outChannels, channels, kh, kw]` and, when `withBias`, the bias gradient
  /// (with operand rounding, the weight gradient's operands are rounded, the bias gradient's sum is not).
  @inlinable
  public static func parameterGradients<S: PrecisionScalar>(
    input x: Tensor<S>, gradOut: Tensor<S>, weightShape: [Int], withBias: Bool, stride: Int, padding: Int, plan: KernelPlan
  ) -> (weight: Tensor<S>, bias: Tensor<S>?) {
    plan.checkAccumulation(storage: S.self)
    if plan.operands != nil || plan.mx != nil {
      // The weight gradient is a product of rounded operands (MX blocks along the batch, microxcaling's
      // axis 0); the bias gradient a sum of the gradient as stored.
      let unrounded = plan.takingOperandsAsGiven
      let weight = parameterGradients(
        input: plan.operand(x, along: 0), gradOut: plan.operand(gradOut, along: 0), weightShape: weightShape, withBias: false,
        stride: stride, padding: padding, plan: unrounded
      ).weight
      guard withBias else { return (weight, nil) }
      let o = weightShape[0], batch = gradOut.shape[0], plane = gradOut.count / max(batch * o, 1)
      let dyt = Layout.swapLeadingAxes(gradOut.storage, outer: batch, middle: o, inner: plane)
      return (weight, Layout.rowSums(dyt, rows: o, columns: batch * plane, plan: unrounded))
    }
    let g = ConvolutionGeometry(input: x.shape, weight: weightShape, stride: stride, padding: padding)
    switch plan.accumulation {
    case .same: return parameterGradients(x, gradOut, g, withBias, S.self, plan)
    case .binary32: return parameterGradients(x, gradOut, g, withBias, Float.self, plan)
    case .binary64: return parameterGradients(x, gradOut, g, withBias, Double.self, plan)
    }
  }

  /// The input gradient `inputShape`.
  @inlinable
  public static func inputGradient<S: PrecisionScalar>(
    gradOut: Tensor<S>, weight: Tensor<S>, inputShape: [Int], stride: Int, padding: Int, plan: KernelPlan
  ) -> Tensor<S> {
    plan.checkAccumulation(storage: S.self)
    let g = ConvolutionGeometry(input: inputShape, weight: weight.shape, stride: stride, padding: padding)
    // MX blocks along the reduction's output channels: the gradient's axis 1, the weight's axis 0.
    let (gradOut, weight) = (plan.operand(gradOut, along: 1), plan.operand(weight, along: 0))
    let plan = plan.takingOperandsAsGiven
    switch plan.accumulation {
    case .same: return inputGradient(gradOut, weight, g, S.self, plan)
    case .binary32: return inputGradient(gradOut, weight, g, Float.self, plan)
    case .binary64: return inputGradient(gradOut, weight, g, Double.self, plan)
    }
  }

  /// The SIMD kernel for `S` accumulated in `A` under `options`, or nil for the generic path.
  @inlinable
  static func kernel<S: PrecisionScalar, A: PrecisionScalar>(_: S.Type, _: A.Type, _ options: KernelOptions, generic: Bool = false) -> FastMatrixMultiply.Kernel? {
    if generic { return nil }
    if let kernel = FastMatrixMultiply.roundedKernel(S.self, A.self, options) { return kernel }
    if FastMatrixMultiply.applies(S.self, A.self, options) { return .accumulating(A.self) }
    return nil
  }

  // MARK: Forward

  @inlinable
  static func forward<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: Tensor<S>, _ weight: Tensor<S>, _ bias: Tensor<S>?, _ g: ConvolutionGeometry, _: A.Type, _ plan: KernelPlan, generic: Bool = false
  ) -> Tensor<S> {
    let (positions, k, o) = (g.positions, g.patchSize, g.outChannels)
    switch kernel(S.self, A.self, plan.options, generic: generic) {
    case .some(let kernel) where kernel.holdsBinary64: return fastForward(x, weight, bias, g, Double.self, kernel, plan)
    case .some(let kernel): return fastForward(x, weight, bias, g, Float.self, kernel, plan)
    case nil:
      let patches = Tensor(shape: [positions, k], storage: g.patches(x.storage))
      let rows = MatrixMultiply.timesTransposed(
        patches, weight.reshaped([o, k]), bias: bias, accumulate: A.self, options: plan.options, threads: plan.threads)
      return Tensor(shape: g.outputShape, storage: Layout.channelsFirst(rows.storage, batch: g.batch, channels: o, plane: g.outHeight * g.outWidth))
    }
  }

  @inlinable
  static func fastForward<S: PrecisionScalar, U: PrecisionScalar>(
    _ x: Tensor<S>, _ weight: Tensor<S>, _ bias: Tensor<S>?, _ g: ConvolutionGeometry, _: U.Type, _ kernel: FastMatrixMultiply.Kernel,
    _ plan: KernelPlan
  ) -> Tensor<S> {
    let (positions, k, o) = (g.positions, g.patchSize, g.outChannels)
    let xs = FastMatrixMultiply.widened(x.storage, to: U.self), w = FastMatrixMultiply.widened(weight.storage, to: U.self)
    let b = bias.map { FastMatrixMultiply.widened($0.storage, to: U.self) }
    var geometry = g.c
    let result = product(kernel, m: o, n: positions, k: k, a: w, bias: b, plan: plan) { first, last, into in
      xs.withUnsafeBufferPointer { xp in
        if kernel.holdsBinary64 {
          pl_pack_conv_patches_f64(&geometry, FastMatrixMultiply.cast(xp.baseAddress!), FastMatrixMultiply.cast(into), first, last, 0, k)
        } else {
          pl_pack_conv_patches_f32(&geometry, FastMatrixMultiply.cast(xp.baseAddress!), FastMatrixMultiply.cast(into), first, last, 0, k)
        }
      }
    }
    return Tensor(shape: g.outputShape, storage: Layout.channelMajorToFirst(result, batch: g.batch, channels: o, plane: g.outHeight * g.outWidth, threads: plan.threads))
  }

  /// `C [m, n]` = `a [m, k]` times the packed operand, plus `bias` per row, in `U` by `kernel`.
  @inlinable
  static func product<U: PrecisionScalar>(
    _ kernel: FastMatrixMultiply.Kernel, m: Int, n: Int, k: Int, a: [U], bias: [U]?, plan: KernelPlan,
    pack: (Int, Int, UnsafeMutablePointer<U>) -> Void
  ) -> [U] {
    [U](unsafeUninitializedCapacity: m * n) { out, initialized in
      #if DEBUG
      out.initialize(repeating: U(Double.nan))  // so that an output the kernels skip cannot pass for a result
      #endif
      let placeholder: [U] = [U(0)]
      (a.isEmpty ? placeholder : a).withUnsafeBufferPointer { ap in
        (bias ?? placeholder).withUnsafeBufferPointer { bp in
          FastMatrixMultiply.product(
            kernel, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, bias: nil, biasRows: bias == nil ? nil : bp.baseAddress,
            c: out.baseAddress!, ldc: n, order: FastMatrixMultiply.order(plan.options, k: k), threads: plan.threads, pack: pack)
        }
      }
      initialized = m * n
    }
  }

  // MARK: Weight and bias gradients

  @inlinable
  static func parameterGradients<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: Tensor<S>, _ gradOut: Tensor<S>, _ g: ConvolutionGeometry, _ withBias: Bool, _: A.Type, _ plan: KernelPlan, generic: Bool = false
  ) -> (weight: Tensor<S>, bias: Tensor<S>?) {
    let (positions, k, o) = (g.positions, g.patchSize, g.outChannels)
    let dyt = Layout.swapLeadingAxes(gradOut.storage, outer: g.batch, middle: o, inner: g.outHeight * g.outWidth)  // [o, positions]
    let weightShape = [o, g.channels, g.kernelHeight, g.kernelWidth]
    let dW: Tensor<S>
    switch kernel(S.self, A.self, plan.options, generic: generic) {
    case .some(let kernel) where kernel.holdsBinary64: dW = fastWeightGradient(x, dyt, g, Double.self, kernel, plan).reshaped(weightShape)
    case .some(let kernel): dW = fastWeightGradient(x, dyt, g, Float.self, kernel, plan).reshaped(weightShape)
    case nil:
      dW = MatrixMultiply.timesTransposed(
        Tensor(shape: [o, positions], storage: dyt), Tensor(shape: [k, positions], storage: g.patchesTransposed(x.storage)),
        accumulate: A.self, options: plan.options, threads: plan.threads
      ).reshaped(weightShape)
    }
    return (dW, withBias ? Layout.rowSums(dyt, rows: o, columns: positions, plan: plan) : nil)
  }

  @inlinable
  static func fastWeightGradient<S: PrecisionScalar, U: PrecisionScalar>(
    _ x: Tensor<S>, _ dyt: [S], _ g: ConvolutionGeometry, _: U.Type, _ kernel: FastMatrixMultiply.Kernel, _ plan: KernelPlan
  ) -> Tensor<S> {
    let (positions, k, o) = (g.positions, g.patchSize, g.outChannels)
    let xs = FastMatrixMultiply.widened(x.storage, to: U.self), a = FastMatrixMultiply.widened(dyt, to: U.self)
    var geometry = g.c
    let steps = positions
    let result = product(kernel, m: o, n: k, k: positions, a: a, bias: nil, plan: plan) { first, last, into in
      xs.withUnsafeBufferPointer { xp in
        if kernel.holdsBinary64 {
          pl_pack_conv_patches_t_f64(&geometry, FastMatrixMultiply.cast(xp.baseAddress!), FastMatrixMultiply.cast(into), first, last, 0, steps)
        } else {
          pl_pack_conv_patches_t_f32(&geometry, FastMatrixMultiply.cast(xp.baseAddress!), FastMatrixMultiply.cast(into), first, last, 0, steps)
        }
      }
    }
    return Tensor(shape: [o, k], storage: FastMatrixMultiply.narrowed(result, rows: o, columns: k, threads: plan.threads))
  }

  // MARK: Input gradient

  @inlinable
  static func inputGradient<S: PrecisionScalar, A: PrecisionScalar>(
    _ gradOut: Tensor<S>, _ weight: Tensor<S>, _ g: ConvolutionGeometry, _: A.Type, _ plan: KernelPlan, generic: Bool = false
  ) -> Tensor<S> {
    let wt = Layout.swapLeadingAxes(weight.storage, outer: g.outChannels, middle: g.channels, inner: g.kernelHeight * g.kernelWidth)
    switch kernel(S.self, A.self, plan.options, generic: generic) {
    case .some(let kernel) where kernel.holdsBinary64: return fastInputGradient(gradOut, wt, g, Double.self, kernel, plan)
    case .some(let kernel): return fastInputGradient(gradOut, wt, g, Float.self, kernel, plan)
    case nil:
      let rows = MatrixMultiply.timesTransposed(
        Tensor(shape: [g.inputPositions, g.gradientSize], storage: g.gradientPatches(gradOut.storage)),
        Tensor(shape: [g.channels, g.gradientSize], storage: wt), accumulate: A.self, options: plan.options, threads: plan.threads)
      return Tensor(shape: [g.batch, g.channels, g.height, g.width], storage: Layout.channelsFirst(rows.storage, batch: g.batch, channels: g.channels, plane: g.height * g.width))
    }
  }

  @inlinable
  static func fastInputGradient<S: PrecisionScalar, U: PrecisionScalar>(
    _ gradOut: Tensor<S>, _ wt: [S], _ g: ConvolutionGeometry, _: U.Type, _ kernel: FastMatrixMultiply.Kernel, _ plan: KernelPlan
  ) -> Tensor<S> {
    let dys = FastMatrixMultiply.widened(gradOut.storage, to: U.self), a = FastMatrixMultiply.widened(wt, to: U.self)
    var geometry = g.c
    let result = product(kernel, m: g.channels, n: g.inputPositions, k: g.gradientSize, a: a, bias: nil, plan: plan) { first, last, into in
      dys.withUnsafeBufferPointer { dp in
        if kernel.holdsBinary64 {
          pl_pack_conv_gradient_f64(&geometry, FastMatrixMultiply.cast(dp.baseAddress!), FastMatrixMultiply.cast(into), first, last, 0, g.gradientSize)
        } else {
          pl_pack_conv_gradient_f32(&geometry, FastMatrixMultiply.cast(dp.baseAddress!), FastMatrixMultiply.cast(into), first, last, 0, g.gradientSize)
        }
      }
    }
    let shape = [g.batch, g.channels, g.height, g.width]
    return Tensor(shape: shape, storage: Layout.channelMajorToFirst(result, batch: g.batch, channels: g.channels, plane: g.height * g.width, threads: plan.threads))
  }
}
