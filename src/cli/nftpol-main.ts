// Entry point of the `nftpol` command (bin/nftpol loads the built copy).
import { processIO } from './io.ts';
import { main } from './nftpol-program.ts';

process.exitCode = await main(process.argv.slice(2), processIO());
