// Placeholder composition root; replaced by the CLI in gateway/cli.
int main() { return 0; }
