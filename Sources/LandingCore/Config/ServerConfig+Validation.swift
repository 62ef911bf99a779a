extension ServerConfig {
    /// Checks every setting against the same rules as the command line (each value is read back
    /// as text and parsed again), then the rules between settings. `ConfigLoader` calls it last;
    /// call it too on a configuration built in code.
    public func validate() throws(ConfigError) {
        try validate(options: ConfigOption.all, secretKeys: Self.secretKeys)
    }

    func validate(options: [ConfigOption], secretKeys: Set<String>) throws(ConfigError) {
        var scratch = self
        for option in options {
            guard case .setting(let apply, let read) = option.target, let text = read(self) else { continue }
            do {
                try apply(&scratch, text)
            } catch {
                let echo = error.echoesValue && !secretKeys.contains(option.name)
                throw .invalidValue(source: .setting(option.name), value: echo ? text : nil, reason: error.reason)
            }
        }
        try checkListenersDoNotOverlap()
    }

    /// `--http-listen` must not take the HTTPS listener's port on the same or a wildcard address.
    private func checkListenersDoNotOverlap() throws(ConfigError) {
        guard let httpListen, httpListen.port != 0, httpListen.port == listen.port else { return }
        let wildcards: Set<String> = ["0.0.0.0", "::"]
        guard httpListen.host == listen.host || wildcards.contains(httpListen.host) || wildcards.contains(listen.host)
        else { return }
        throw .conflict(
            "--http-listen \(httpListen) and --listen \(listen) cannot share port \(listen.port);"
                + " give the plain HTTP listener another port (e.g. 8080)")
    }
}
