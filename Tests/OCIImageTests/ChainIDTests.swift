import BerthBase
import OCIImage
import Testing

@Suite struct ChainIDTests {
    // The sha256 of "a", "b" and "c"; expected values computed with sha256sum.
    let a = Digest(sha256Hex: "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
    let b = Digest(sha256Hex: "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d")
    let c = Digest(sha256Hex: "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6")

    @Test func emptyImageHasNoChain() {
        #expect(chainIDs(for: []).isEmpty)
    }

    @Test func firstChainIDIsTheDiffID() {
        #expect(chainIDs(for: [a]) == [a])
    }

    @Test func eachChainIDHashesThePreviousWithTheDiffID() {
        let ids = chainIDs(for: [a, b, c])
        #expect(ids.map(\.description) == [
            a.description,
            "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676",
            "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106",
        ])
    }

    @Test func orderMatters() {
        #expect(chainIDs(for: [a, b]).last != chainIDs(for: [b, a]).last)
    }
}
