import Scalars
/// A seeded SplitMix64 stream of uniform draws in [0, 1) with 53 random bits, for test operands.
typealias TestValues = SplitMix64
