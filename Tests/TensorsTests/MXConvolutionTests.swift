import Scalars
import Tensors
import Testing

/// MX convolutions against microsoft/microxcaling's own `mx.Conv2d` (MXMicroxcalingConvCases.swift,
/// scripts/mx-microxcaling-conv-cases.py): each operand its ConvFunction quantized, along the axis it
/// chose (forward: input and weight along the channels; weight gradient: input and output gradient along
/// the batch; input gradient: output gradient along its channels, weight along the output channels), is
/// our quantization bit for bit; and our convolution with MX operands computes what the plain
/// convolution computes from those quantized operands.
@Suite struct MXConvolutionTests {
  static func tensor(_ shape: [Int], _ bits: [UInt32]) -> Tensor<Float> { Tensor(shape: shape, storage: bits.map(Float.init(bitPattern:))) }

  @Test(arguments: MXMicroxcalingConvCases.cases.map(\.element))
  func matchesMicroxcaling(element: String) throws {
    let c = try #require(MXMicroxcalingConvCases.cases.first { $0.element == element })
    let mx = MXScaling(try #require(MXScaling.Element(rawValue: element)), rounding: .nearestAway)
    #expect(c.operands.count == 6)
    for (i, operand) in c.operands.enumerated() {
      let ours = mx.quantized(Self.tensor(operand.shape, operand.inputs), along: operand.axis)
      #expect(ours.storage.map(\.bitPattern) == operand.outputs, "operand \(i) (shape \(operand.shape), axis \(operand.axis))")
    }
    let q = c.operands.map { Self.tensor($0.shape, $0.outputs) }
    let (x, weight, gradOut) = (Self.tensor(c.input, c.operands[0].inputs), Self.tensor(c.weight, c.operands[1].inputs), Self.tensor(c.operands[3].shape, c.operands[3].inputs))
    let bias = Tensor<Float>(shape: [c.weight[0]], doubles: (0..<c.weight[0]).map { Double($0) / 8 })
    var plan = KernelPlan()
    plan.mx = mx
    let plain = KernelPlan()
    #expect(
      Convolution.forward(x, weight: weight, bias: bias, stride: 1, padding: 1, plan: plan).storage
        == Convolution.forward(q[0], weight: q[1], bias: bias, stride: 1, padding: 1, plan: plain).storage)
    let dW = Convolution.parameterGradients(input: x, gradOut: gradOut, weightShape: c.weight, withBias: true, stride: 1, padding: 1, plan: plan)
    let want = Convolution.parameterGradients(input: q[2], gradOut: q[3], weightShape: c.weight, withBias: false, stride: 1, padding: 1, plan: plain)
    #expect(dW.weight.storage == want.weight.storage)
    // The bias gradient sums the output gradient as stored.
    let db = Convolution.parameterGradients(input: x, gradOut: gradOut, weightShape: c.weight, withBias: true, stride: 1, padding: 1, plan: plain).bias
    #expect(dW.bias?.storage == db?.storage)
    #expect(
      Convolution.inputGradient(gradOut: gradOut, weight: weight, inputShape: c.input, stride: 1, padding: 1, plan: plan).storage
        == Convolution.inputGradient(gradOut: q[5], weight: q[4], inputShape: c.input, stride: 1, padding: 1, plan: plain).storage)
    // The quantization changed every operand (so the comparisons see it).
    for (i, operand) in c.operands.enumerated() { #expect(operand.inputs != operand.outputs, "operand \(i)") }
  }
}
