console.log('trellis')
