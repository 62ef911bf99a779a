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
            switch option.target {
            case .configFile:
                continue
            case .setting(let apply, let read):
                guard let text = read(self) else { continue }
                do {
                    try apply(&scratch, text)
                } catch {
                    let echo = error.echoesValue && !secretKeys.contains(option.name)
                    throw .invalidValue(source: .setting(option.name), value: echo ? text : nil, reason: error.reason)
                }
            case .list(_, let read, _):
                _ = try ConfigLoader.parseItems(
                    option, read(self), from: .setting(option.name), secretKeys: secretKeys)
            }
        }
        try checkListenersDoNotOverlap()
        try checkReturnURLIsAllowed()
        try checkStorePasswordFile()
        try checkPluggyCredentials()
        if webhookSecret != nil && webhookSecretFile != nil {
            throw .conflict("--webhook-secret and --webhook-secret-file both give the webhook secret; keep one (the file)")
        }
    }

    /// Pluggy's client id and secret come together; the secret from one place.
    private func checkPluggyCredentials() throws(ConfigError) {
        let hasSecret = pluggyClientSecret != nil || pluggyClientSecretFile != nil
        if pluggyClientSecret != nil && pluggyClientSecretFile != nil {
            throw .conflict("--pluggy-client-secret and --pluggy-client-secret-file both give the Pluggy secret; keep one (the file)")
        }
        // A client id without a secret here may still find it in the systemd credential
        // pluggy-client-secret: the start-up checks (`Preflight`) decide.
        if pluggyClientId == nil && hasSecret {
            throw .conflict("a Pluggy client secret is given without --pluggy-client-id")
        }
    }

    /// `--store-password-file` only makes sense for a PostgreSQL store without a password in its URI.
    private func checkStorePasswordFile() throws(ConfigError) {
        guard storePasswordFile != nil else { return }
        guard case .postgres(let location) = store else {
            throw .conflict("--store-password-file is for a postgres:// --store; \(store) needs no password")
        }
        if location.hasPassword {
            throw .conflict("--store has a password in its URI and --store-password-file gives another; keep one (the file)")
        }
    }

    /// `--return-url` must itself be allowed by the `--allowed-return-url` prefixes, when there are
    /// any, exactly as a session's `returnUrl` is (`ReturnURLPolicy.allows`).
    private func checkReturnURLIsAllowed() throws(ConfigError) {
        guard let returnURL, !allowedReturnURLs.isEmpty,
            !ConfigValueParser.returnURL(returnURL, isAllowedBy: allowedReturnURLs)
        else { return }
        throw .conflict(
            "--return-url \(ConfigText.quoted(returnURL)) is not allowed by any --allowed-return-url ("
                + ConfigText.list(allowedReturnURLs.map(ConfigText.quoted)) + "): it needs a prefix's scheme,"
                + " host and port, and a path under the prefix's path (a URL with an empty path, like"
                + " myapp://done?x, never is); add a prefix that covers it, or change it")
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
