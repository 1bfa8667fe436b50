import Networks
import Testing

/// The size estimate that refuses models too large for memory: its parameter count against the layout's
/// parameter shapes (counted another way), its activations against a hand count.
@Suite struct FootprintTests {
  @Test(arguments: [
    ModelSpec.mlp(widths: [784, 256, 256, 10]),
    ModelSpec.vgg(input: [3, 32, 32], classes: 10, batchNorm: true),
    ModelSpec.resnet(input: [3, 32, 32], classes: 10, batchNorm: true),
    ModelSpec.resnet(input: [1, 28, 28], classes: 10, widthMultiplier: 0.5),
  ])
  func parametersAgreeWithTheLayout(model: ModelSpec) throws {
    let footprint = try #require(LayerSpec.footprint(model.layout(), input: model.input))
    #expect(footprint.parameters == model.parameterShapes.map { $0.reduce(1, *) }.reduce(0, +))
  }

  @Test func mlpActivationsByHand() throws {
    // 784-256-10 with ReLU: linear 256, ReLU 256, linear 10 (the input is not counted).
    let footprint = try #require(LayerSpec.footprint(ModelSpec.mlp(widths: [784, 256, 10]).layout(), input: [784]))
    #expect(footprint.activations == 256 + 256 + 10)
    #expect(ModelSpec.mlp(widths: [784, 256, 10]).memoryProblem(batchSize: 60_000, physicalMemory: 1 << 34) == nil)
    #expect(ModelSpec.mlp(widths: [784, 256, 10]).memoryProblem(batchSize: 60_000, physicalMemory: 1 << 20)?.contains("203530 parameters and 522 activations per sample") == true)
  }

  @Test func countsThatOverflowAreNil() {
    #expect(LayerSpec.footprint([.linear(inputs: 1 << 40, outputs: 1 << 40, name: "x")], input: [1 << 40]) == nil)
  }
}
