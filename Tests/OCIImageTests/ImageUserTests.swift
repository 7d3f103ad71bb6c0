import OCIImage
import Testing

@Suite struct ImageUserTests {
    static let cases: [(String?, ImageUser)] = [
        (nil, ImageUser(uid: nil, username: "")),
        ("", ImageUser(uid: nil, username: "")),
        ("0", ImageUser(uid: 0, username: "")),
        ("1002", ImageUser(uid: 1002, username: "")),
        ("www-data", ImageUser(uid: nil, username: "www-data")),
        ("1003:1004", ImageUser(uid: 1003, username: "", group: "1004")),
        ("www-data:1004", ImageUser(uid: nil, username: "www-data", group: "1004")),
        ("nobody:nogroup", ImageUser(uid: nil, username: "nobody", group: "nogroup")),
        ("1005:", ImageUser(uid: 1005, username: "")),
        (":1006", ImageUser(uid: nil, username: "", group: "1006")),
        ("-1", ImageUser(uid: nil, username: "-1")),
    ]

    @Test(arguments: cases)
    func splitsTheConfigUser(_ text: String?, _ expected: ImageUser) {
        #expect(ImageUser(configUser: text) == expected)
    }
}
