import Networks
import Scalars
import Tensors
import Testing

/// The volume studies compare "the first layer's weight gradient": for a convolutional network that is
/// the first convolution's weight (VGG's conv1, ResNet's stem), the tensor PyTorch's `net[0].weight.grad`
/// or `conv1.weight.grad` holds.
@Suite struct FirstLayerComparisonTests {
  @Test(arguments: [
    (ModelSpec.vgg([.conv(4), .pool, .conv(6), .pool], input: [3, 8, 8], classes: 10), false),
    (ModelSpec.vgg([.conv(4), .pool, .conv(6), .pool], input: [3, 8, 8], classes: 10, batchNorm: true), false),
    (ModelSpec.resnet(blocks: [1, 1], input: [3, 8, 8], classes: 10, batchNorm: true, widthMultiplier: 1.0 / 16), true),
    (ModelSpec.resnet(blocks: [1, 1], input: [3, 8, 8], classes: 10, batchNorm: false, widthMultiplier: 1.0 / 16), true),
  ])
  func firstLayerIsTheFirstConvolutionsWeight(model: ModelSpec, isResNet: Bool) throws {
    var net: Network<Double> = model.make(activation: .relu(0), seed: 1)
    let names = net.parameterNames
    // The first parameter is the first convolution's weight, [out, 3, 3, 3].
    #expect(names[0].hasSuffix("weight") && names[0].contains(isResNet ? "conv1" : "0"), "\(names.prefix(3))")
    var values: [Double] = []
    for i in 0..<(2 * 3 * 8 * 8) { values.append(Double((i * 37) % 17) / 17) }
    let x = Tensor<Double>(shape: [2, 3, 8, 8], storage: values)
    let forward = net.forwardPass(x, KernelPlan())
    let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: [3, 7]).gradient
    let all = net.backward(forward, dLogits: dLogits, KernelPlan())
    let (first, _) = net.pairedBackward(forward, dLogits: dLogits, alternative: .relu(1), selection: .firstLayer, KernelPlan())
    #expect(first[0].shape.count == 4 && first[0].shape[1] == 3 && first[0].shape[2] == 3 && first[0].shape[3] == 3)
    #expect(first[0].shape == all[0].shape && first[0].storage == all[0].storage)
  }
}
